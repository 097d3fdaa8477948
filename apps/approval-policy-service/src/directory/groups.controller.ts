import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Group } from '@kairos/approval-policy-domain';
import { Roles } from '@kairos/auth';
import { ApiProblems, ProblemError } from '@kairos/http';
import { DirectoryRepository } from './directory.repository';
import { GroupDto, GroupListDto } from './directory.responses';
import { CreateGroupDto, GroupBodyDto } from './directory.dto';

const notFound = (id: string) => new ProblemError(404, 'GROUP_NOT_FOUND', 'Not Found', `no group ${id}`);

@ApiTags('directory')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/groups')
export class GroupsController {
  constructor(private readonly directory: DirectoryRepository) {}

  @Get()
  @ApiOkResponse({ type: GroupListDto })
  async list(): Promise<{ items: Group[] }> {
    return { items: await this.directory.groups() };
  }

  @Get(':id')
  @ApiOkResponse({ type: GroupDto })
  @ApiProblems(404)
  async get(@Param('id') id: string): Promise<Group> {
    const group = await this.directory.group(id);
    if (!group) throw notFound(id);
    return group;
  }

  @Post()
  @ApiCreatedResponse({ type: GroupDto })
  @ApiProblems(409)
  async create(@Body() body: CreateGroupDto): Promise<Group> {
    return this.save(body.id, body, false);
  }

  @Put(':id')
  @ApiOkResponse({ type: GroupDto })
  @ApiProblems(404)
  async replace(@Param('id') id: string, @Body() body: GroupBodyDto): Promise<Group> {
    return this.save(id, body, true);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems(404)
  async remove(@Param('id') id: string): Promise<void> {
    if (!(await this.directory.deleteGroup(id))) throw notFound(id);
  }

  private async save(id: string, body: GroupBodyDto, mustExist: boolean): Promise<Group> {
    const members = [...new Set(body.members ?? [])].sort();
    await this.directory.writeTransaction(async (tx) => {
      const exists = (await this.directory.existingGroups([id], tx)).has(id);
      if (mustExist && !exists) throw notFound(id);
      if (!mustExist && exists) throw new ProblemError(409, 'GROUP_EXISTS', 'Conflict', `group ${id} already exists; PUT replaces it`);
      const known = await this.directory.existing(members, tx);
      const unknown = members.filter((member) => !known.has(member));
      if (unknown.length > 0) {
        throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', '1 field(s) are not valid', {
          errors: [{ field: 'members', messages: unknown.map((member) => `no identity ${member} in the directory`) }],
        });
      }
      await this.directory.putGroup(tx, { id, name: body.name, members });
    });
    return (await this.directory.group(id)) as Group;
  }
}
