import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Group } from '@kairos/approval-policy-domain';
import { Roles } from '@kairos/auth';
import { ApiProblems } from '@kairos/http';
import { EditGroups } from '../../use-cases/edit-groups/edit-groups';
import { GroupDto, GroupListDto } from './directory.responses';
import { CreateGroupDto, GroupBodyDto } from './directory.dto';

@ApiTags('directory')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/groups')
export class GroupsController {
  constructor(private readonly groups: EditGroups) {}

  @Get()
  @ApiOkResponse({ type: GroupListDto })
  async list(): Promise<{ items: Group[] }> {
    return this.groups.list();
  }

  @Get(':id')
  @ApiOkResponse({ type: GroupDto })
  @ApiProblems(404)
  async get(@Param('id') id: string): Promise<Group> {
    return this.groups.get(id);
  }

  @Post()
  @ApiCreatedResponse({ type: GroupDto })
  @ApiProblems(409)
  async create(@Body() body: CreateGroupDto): Promise<Group> {
    return this.groups.save(body.id, body, false);
  }

  @Put(':id')
  @ApiOkResponse({ type: GroupDto })
  @ApiProblems(404)
  async replace(@Param('id') id: string, @Body() body: GroupBodyDto): Promise<Group> {
    return this.groups.save(id, body, true);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems(404)
  async remove(@Param('id') id: string): Promise<void> {
    await this.groups.remove(id);
  }
}
