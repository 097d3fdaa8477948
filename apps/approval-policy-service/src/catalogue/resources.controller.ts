import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Resource, TierSettings } from '@kairos/approval-policy-domain';
import { Roles } from '@kairos/auth';
import { ProblemError } from '@kairos/http';
import { CatalogueRepository } from './catalogue.repository';
import { CreateResourceDto, ResourceBodyDto } from './resource.dto';
import { validateSettings, type FieldProblem } from './settings-validation';

const notFound = (id: string) => new ProblemError(404, 'RESOURCE_NOT_FOUND', 'Not Found', `no resource ${id}`);

@ApiTags('catalogue')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/resources')
export class ResourcesController {
  constructor(private readonly catalogue: CatalogueRepository) {}

  @Get()
  @ApiOperation({ summary: 'All resources of the catalogue' })
  async list(): Promise<{ items: Resource[]; policyVersion: number }> {
    return { items: await this.catalogue.resources(), policyVersion: await this.catalogue.policyVersion() };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<Resource> {
    const resource = await this.catalogue.resource(id);
    if (!resource) throw notFound(id);
    return resource;
  }

  @Post()
  @ApiOperation({ summary: 'Add a resource; bumps the policy version' })
  async create(@Body() body: CreateResourceDto): Promise<Resource & { policyVersion: number }> {
    const resource = toResource(body.id, body);
    const { saved, policyVersion } = await this.catalogue.saveResource(resource, false);
    if (!saved) throw new ProblemError(409, 'RESOURCE_EXISTS', 'Conflict', `resource ${body.id} already exists; PUT replaces it`);
    return { ...resource, policyVersion };
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace a resource; bumps the policy version' })
  async replace(@Param('id') id: string, @Body() body: ResourceBodyDto): Promise<Resource & { policyVersion: number }> {
    const resource = toResource(id, body);
    const { saved, policyVersion } = await this.catalogue.saveResource(resource, true);
    if (!saved) throw notFound(id);
    return { ...resource, policyVersion };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    if (!(await this.catalogue.deleteResource(id))) throw notFound(id);
  }
}

function toResource(id: string, body: ResourceBodyDto): Resource {
  const problems: FieldProblem[] = [];
  if (body.settings !== undefined) problems.push(...validateSettings(body.settings, 'settings', false));
  for (const [group, override] of Object.entries(body.groupOverrides ?? {})) {
    problems.push(...validateSettings(override, `groupOverrides.${group}`, false));
  }
  if (problems.length > 0) {
    throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', `${problems.length} field(s) are not valid`, { errors: problems });
  }
  return {
    id,
    name: body.name,
    connector: body.connector,
    target: body.target,
    owners: [...new Set(body.owners)],
    allowedRoles: [...new Set(body.allowedRoles)],
    tier: body.tier,
    breakGlassAllowed: body.breakGlassAllowed ?? false,
    ...(body.settings ? { settings: body.settings as Partial<TierSettings> } : {}),
    ...(body.groupOverrides ? { groupOverrides: body.groupOverrides as Record<string, Partial<TierSettings>> } : {}),
  };
}
