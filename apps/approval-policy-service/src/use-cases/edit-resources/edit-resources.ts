import type { Resource, Tier, TierSettings } from '@kairos/approval-policy-domain';
import { CONNECTOR_TARGETS, connectorTargetProblem, isConnectorName, type ConnectorName } from '@kairos/contracts';
import { refuse } from '@kairos/refusal';
import { validateSettings, type FieldProblem } from '../../domain/settings-validation';
import type { KnownGroups, ResourceCatalogue } from './ports';

/** A resource as an admin writes it (its id aside); the settings are checked here, not trusted. */
export interface ResourceInput {
  readonly name: string;
  readonly connector: ConnectorName;
  readonly target: string;
  readonly owners: readonly string[];
  readonly allowedRoles: readonly string[];
  readonly tier: Tier;
  readonly breakGlassAllowed?: boolean;
  readonly settings?: Record<string, unknown>;
  readonly groupOverrides?: Record<string, Record<string, unknown>>;
  readonly requestableBy?: readonly string[];
}

export type SavedResource = Resource & { readonly policyVersion: number };

const notFound = (id: string) => refuse.notFound('RESOURCE_NOT_FOUND', `no resource ${id}`);

/** The admins' edits of the catalogue's resources; each write bumps the policy version. */
export class EditResources {
  constructor(
    private readonly catalogue: ResourceCatalogue,
    private readonly directory: KnownGroups,
  ) {}

  async list(): Promise<{ items: Resource[]; policyVersion: number }> {
    return { items: await this.catalogue.resources(), policyVersion: await this.catalogue.policyVersion() };
  }

  async get(id: string): Promise<Resource> {
    const resource = await this.catalogue.resource(id);
    if (!resource) throw notFound(id);
    return resource;
  }

  async create(id: string, input: ResourceInput): Promise<SavedResource> {
    const resource = await this.checkedResource(id, input);
    const { saved, policyVersion } = await this.catalogue.saveResource(resource, false);
    if (!saved) throw refuse.conflict('RESOURCE_EXISTS', `resource ${id} already exists; PUT replaces it`);
    return { ...resource, policyVersion };
  }

  async replace(id: string, input: ResourceInput): Promise<SavedResource> {
    const resource = await this.checkedResource(id, input);
    const { saved, policyVersion } = await this.catalogue.saveResource(resource, true);
    if (!saved) throw notFound(id);
    return { ...resource, policyVersion };
  }

  async remove(id: string): Promise<void> {
    if (!(await this.catalogue.deleteResource(id))) throw notFound(id);
  }

  /** A typo in `requestableBy` would lock everyone out of the resource, so only known groups are accepted. */
  private async checkedResource(id: string, input: ResourceInput): Promise<Resource> {
    const groups = [...new Set(input.requestableBy ?? [])];
    const known = groups.length > 0 ? await this.directory.existingGroups(groups) : new Set<string>();
    const unknown = groups.filter((group) => !known.has(group));
    const problems: FieldProblem[] =
      unknown.length > 0 ? [{ field: 'requestableBy', messages: unknown.map((group) => `no group ${group} in the directory`) }] : [];
    return toResource(id, input, problems);
  }
}

function toResource(id: string, input: ResourceInput, problems: FieldProblem[]): Resource {
  // A target its connector can never act on would fail every grant of the resource: refused when
  // written, by the same rule the connector's plug-in applies (@kairos/contracts CONNECTOR_TARGETS).
  const targetProblem = isConnectorName(input.connector) ? connectorTargetProblem(input.connector, input.target) : undefined;
  if (targetProblem) problems.push({ field: 'target', messages: [`not a ${input.connector} target (${CONNECTOR_TARGETS[input.connector].syntax.replace(/`/g, '')}): ${targetProblem}`] });
  if (input.settings !== undefined) problems.push(...validateSettings(input.settings, 'settings', false));
  for (const [group, override] of Object.entries(input.groupOverrides ?? {})) {
    problems.push(...validateSettings(override, `groupOverrides.${group}`, false));
  }
  if (problems.length > 0) throw refuse.invalid('VALIDATION_FAILED', `${problems.length} field(s) are not valid`, { errors: problems });
  return {
    id,
    name: input.name,
    connector: input.connector,
    target: input.target,
    owners: [...new Set(input.owners)],
    allowedRoles: [...new Set(input.allowedRoles)],
    tier: input.tier,
    breakGlassAllowed: input.breakGlassAllowed ?? false,
    ...(input.settings ? { settings: input.settings as Partial<TierSettings> } : {}),
    ...(input.groupOverrides ? { groupOverrides: input.groupOverrides as Record<string, Partial<TierSettings>> } : {}),
    ...(input.requestableBy && input.requestableBy.length > 0 ? { requestableBy: [...new Set(input.requestableBy)].sort() } : {}),
  };
}
