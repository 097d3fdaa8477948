import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Resource, TierSettings } from '@kairos/approval-policy-domain';
import { Roles } from '@kairos/auth';
import { CONNECTOR_TARGETS, connectorTargetProblem, isConnectorName } from '@kairos/contracts';
import { ApiProblems, ProblemError } from '@kairos/http';
import { DirectoryRepository } from '../directory/directory.repository';
import { CatalogueRepository } from './catalogue.repository';
import { ResourceDto, ResourceListDto, ResourceSavedDto } from './catalogue.dto';
import { CreateResourceDto, ResourceBodyDto } from './resource.dto';
import { validateSettings, type FieldProblem } from './settings-validation';

const notFound = (id: string) => new ProblemError(404, 'RESOURCE_NOT_FOUND', 'Not Found', `no resource ${id}`);

@ApiTags('catalogue')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/resources')
export class ResourcesController {
  constructor(
    private readonly catalogue: CatalogueRepository,
    private readonly directory: DirectoryRepository,
  ) {}

  @Get()
  @ApiOperation({ summary: 'All resources of the catalogue' })
  @ApiOkResponse({ type: ResourceListDto })
  async list(): Promise<{ items: Resource[]; policyVersion: number }> {
    return { items: await this.catalogue.resources(), policyVersion: await this.catalogue.policyVersion() };
  }

  @Get(':id')
  @ApiOkResponse({ type: ResourceDto })
  @ApiProblems(404)
  async get(@Param('id') id: string): Promise<Resource> {
    const resource = await this.catalogue.resource(id);
    if (!resource) throw notFound(id);
    return resource;
  }

  @Post()
  @ApiOperation({ summary: 'Add a resource; bumps the policy version' })
  @ApiCreatedResponse({ type: ResourceSavedDto })
  @ApiProblems(409)
  async create(@Body() body: CreateResourceDto): Promise<Resource & { policyVersion: number }> {
    const resource = await this.checkedResource(body.id, body);
    const { saved, policyVersion } = await this.catalogue.saveResource(resource, false);
    if (!saved) throw new ProblemError(409, 'RESOURCE_EXISTS', 'Conflict', `resource ${body.id} already exists; PUT replaces it`);
    return { ...resource, policyVersion };
  }

  @Put(':id')
  @ApiOperation({ summary: 'Replace a resource; bumps the policy version' })
  @ApiOkResponse({ type: ResourceSavedDto })
  @ApiProblems(404)
  async replace(@Param('id') id: string, @Body() body: ResourceBodyDto): Promise<Resource & { policyVersion: number }> {
    const resource = await this.checkedResource(id, body);
    const { saved, policyVersion } = await this.catalogue.saveResource(resource, true);
    if (!saved) throw notFound(id);
    return { ...resource, policyVersion };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Removed; bumps the policy version' })
  @ApiProblems(404)
  async remove(@Param('id') id: string): Promise<void> {
    if (!(await this.catalogue.deleteResource(id))) throw notFound(id);
  }

  /** A typo in `requestableBy` would lock everyone out of the resource, so only known groups are accepted. */
  private async checkedResource(id: string, body: ResourceBodyDto): Promise<Resource> {
    const groups = [...new Set(body.requestableBy ?? [])];
    const known = groups.length > 0 ? await this.directory.existingGroups(groups) : new Set<string>();
    const unknown = groups.filter((group) => !known.has(group));
    const problems: FieldProblem[] =
      unknown.length > 0 ? [{ field: 'requestableBy', messages: unknown.map((group) => `no group ${group} in the directory`) }] : [];
    return toResource(id, body, problems);
  }
}

function toResource(id: string, body: ResourceBodyDto, problems: FieldProblem[]): Resource {
  // A target its connector can never act on would fail every grant of the resource: refused when
  // written, by the same rule the connector's plug-in applies (@kairos/contracts CONNECTOR_TARGETS).
  const targetProblem = isConnectorName(body.connector) ? connectorTargetProblem(body.connector, body.target) : undefined;
  if (targetProblem) problems.push({ field: 'target', messages: [`not a ${body.connector} target (${CONNECTOR_TARGETS[body.connector].syntax.replace(/`/g, '')}): ${targetProblem}`] });
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
    ...(body.requestableBy && body.requestableBy.length > 0 ? { requestableBy: [...new Set(body.requestableBy)].sort() } : {}),
  };
}
