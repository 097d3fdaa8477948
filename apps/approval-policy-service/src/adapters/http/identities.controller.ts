import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Identity } from '@kairos/approval-policy-domain';
import { Roles } from '@kairos/auth';
import { ApiProblems } from '@kairos/http';
import { EditIdentities } from '../../use-cases/edit-identities/edit-identities';
import { IdentityDto, IdentityListDto } from './directory.responses';
import { CreateIdentityDto, IdentityBodyDto } from './directory.dto';

@ApiTags('directory')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/identities')
export class IdentitiesController {
  constructor(private readonly identities: EditIdentities) {}

  @Get()
  @ApiOkResponse({ type: IdentityListDto })
  async list(): Promise<{ items: Identity[] }> {
    return this.identities.list();
  }

  @Get(':id')
  @ApiOkResponse({ type: IdentityDto })
  @ApiProblems(404)
  async get(@Param('id') id: string): Promise<Identity> {
    return this.identities.get(id);
  }

  @Post()
  @ApiCreatedResponse({ type: IdentityDto })
  @ApiProblems(409)
  async create(@Body() body: CreateIdentityDto): Promise<Identity> {
    return this.identities.save(body.id, body, false);
  }

  @Put(':id')
  @ApiOkResponse({ type: IdentityDto })
  @ApiProblems(404)
  async replace(@Param('id') id: string, @Body() body: IdentityBodyDto): Promise<Identity> {
    return this.identities.save(id, body, true);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems(404)
  async remove(@Param('id') id: string): Promise<void> {
    await this.identities.remove(id);
  }
}
