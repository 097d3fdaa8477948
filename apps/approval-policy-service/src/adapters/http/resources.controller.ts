import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Resource } from '@kairos/approval-policy-domain';
import { Roles } from '@kairos/auth';
import { ApiProblems } from '@kairos/http';
import { EditResources, type SavedResource } from '../../use-cases/edit-resources/edit-resources';
import { ResourceDto, ResourceListDto, ResourceSavedDto } from './catalogue.dto';
import { CreateResourceDto, ResourceBodyDto } from './resource.dto';

@ApiTags('catalogue')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/resources')
export class ResourcesController {
  constructor(private readonly resources: EditResources) {}

  @Get()
  @ApiOperation({ summary: 'All resources of the catalogue' })
  @ApiOkResponse({ type: ResourceListDto })
  async list(): Promise<{ items: Resource[]; policyVersion: number }> {
    return this.resources.list();
  }

  @Get(':id')
  @ApiOkResponse({ type: ResourceDto })
  @ApiProblems(404)
  async get(@Param('id') id: string): Promise<Resource> {
    return this.resources.get(id);
  }

  @Post()
  @ApiOperation({ summary: 'Add a resource; bumps the policy version' })
  @ApiCreatedResponse({ type: ResourceSavedDto })
  @ApiProblems(409)
  async create(@Body() body: CreateResourceDto): Promise<SavedResource> {
    return this.resources.create(body.id, body);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace a resource; bumps the policy version' })
  @ApiOkResponse({ type: ResourceSavedDto })
  @ApiProblems(404)
  async replace(@Param('id') id: string, @Body() body: ResourceBodyDto): Promise<SavedResource> {
    return this.resources.replace(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Removed; bumps the policy version' })
  @ApiProblems(404)
  async remove(@Param('id') id: string): Promise<void> {
    await this.resources.remove(id);
  }
}
