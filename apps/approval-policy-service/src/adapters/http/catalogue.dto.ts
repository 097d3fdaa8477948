import { ApiProperty, ApiPropertyOptional, getSchemaPath, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { EVALUATION_PROBLEM_CODES } from '@kairos/approval-policy-domain';
import { CONNECTOR_NAMES } from '@kairos/contracts';
import { ITEM_STATUSES } from '@kairos/access-request-domain';

// Response shapes (and the settings' documented shape): @ApiProperty only. Settings are validated
// by validateSettings, which reports every problem with its path.

const SINGLE_MODES = ['automatic', 'manager', 'resource_owner', 'named', 'group'] as const;

export class SingleApprovalRuleDto {
  @ApiProperty({ enum: SINGLE_MODES }) mode!: (typeof SINGLE_MODES)[number];
  @ApiPropertyOptional({ type: [String], description: 'named: the identity ids asked' }) approvers?: string[];
  @ApiPropertyOptional({ minimum: 1, description: 'named or group: approvals needed' }) required?: number;
  @ApiPropertyOptional({ description: 'group: the group whose members approve' }) group?: string;
}

export class ApprovalRuleDto {
  @ApiProperty({ enum: [...SINGLE_MODES, 'steps'] }) mode!: (typeof SINGLE_MODES)[number] | 'steps';
  @ApiPropertyOptional({ type: [String], description: 'named: the identity ids asked' }) approvers?: string[];
  @ApiPropertyOptional({ minimum: 1, description: 'named or group: approvals needed' }) required?: number;
  @ApiPropertyOptional({ description: 'group: the group whose members approve' }) group?: string;
  @ApiPropertyOptional({ type: [SingleApprovalRuleDto], description: 'steps: passed in order; a step is never itself a chain' })
  steps?: SingleApprovalRuleDto[];
}

export class BreakGlassSettingsDto {
  @ApiProperty() allowed!: boolean;
  @ApiProperty({ description: 'ISO 8601 duration to ratify a break-glass grant before it is revoked', example: 'PT1H' })
  ratifyWithin!: string;
  @ApiPropertyOptional({ description: 'group whose members ratify; the resource owners when absent' }) ratifierGroup?: string;
}

export class TierSettingsDto {
  @ApiProperty({ type: ApprovalRuleDto }) approval!: ApprovalRuleDto;
  @ApiProperty({ example: 'P7D', description: 'ISO 8601 duration an approval stays valid' }) approvalValidity!: string;
  @ApiProperty({ example: 'PT8H' }) defaultDuration!: string;
  @ApiProperty({ example: 'P7D', description: 'capped at seven days whatever it says' }) maxDuration!: string;
  @ApiProperty({ type: [String], example: ['PT1H', 'PT8H'], description: 'suggestions; any duration up to maxDuration is accepted' })
  durationPresets!: string[];
  @ApiProperty({ example: 'P2D', description: 'how long an item may wait for approval' }) pendingTtl!: string;
  @ApiProperty() justificationRequired!: boolean;
  @ApiProperty() extensionRequiresApproval!: boolean;
  @ApiProperty({ type: BreakGlassSettingsDto }) breakGlass!: BreakGlassSettingsDto;
  @ApiPropertyOptional({ description: 'false lets one person approve several steps of one item; on when absent' })
  separationOfDuties?: boolean;
  @ApiPropertyOptional({ description: 'group approving a manager or owner step nobody can fill' }) fallbackGroup?: string;
}

export class PartialTierSettingsDto extends PartialType(TierSettingsDto) {}

export const groupOverridesSchema = {
  type: 'object' as const,
  additionalProperties: { $ref: getSchemaPath(PartialTierSettingsDto) },
};

export class TierDto {
  @ApiProperty({ enum: [0, 1, 2, 3, 4] }) tier!: 0 | 1 | 2 | 3 | 4;
  @ApiProperty({ type: TierSettingsDto }) settings!: TierSettingsDto;
}

export class TierSavedDto extends TierDto {
  @ApiProperty() policyVersion!: number;
}

export class TierListDto {
  @ApiProperty({ type: [TierDto] }) items!: TierDto[];
  @ApiProperty() policyVersion!: number;
}

export class ResourceDto {
  @ApiProperty({ example: 'orders-db' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: CONNECTOR_NAMES }) connector!: string;
  @ApiProperty() target!: string;
  @ApiProperty({ type: [String] }) owners!: string[];
  @ApiProperty({ type: [String] }) allowedRoles!: string[];
  @ApiProperty({ enum: [0, 1, 2, 3, 4] }) tier!: 0 | 1 | 2 | 3 | 4;
  @ApiPropertyOptional() breakGlassAllowed?: boolean;
  @ApiPropertyOptional({ type: PartialTierSettingsDto }) settings?: PartialTierSettingsDto;
  @ApiPropertyOptional({ ...groupOverridesSchema, description: 'partial tier settings keyed by group id' })
  groupOverrides?: Record<string, PartialTierSettingsDto>;
  @ApiPropertyOptional({ type: [String], description: 'group ids whose members may request it; everyone when absent' })
  requestableBy?: string[];
}

export class ResourceSavedDto extends ResourceDto {
  @ApiProperty() policyVersion!: number;
}

export class ResourceListDto {
  @ApiProperty({ type: [ResourceDto] }) items!: ResourceDto[];
  @ApiProperty() policyVersion!: number;
}

export class CatalogueQueryDto {
  @ApiPropertyOptional({ description: 'words matched against the id, name and roles (all must match)', example: 'orders read' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  query?: string;

  @ApiPropertyOptional({ enum: [0, 1, 2, 3, 4] })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(4)
  tier?: 0 | 1 | 2 | 3 | 4;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100_000)
  offset?: number;
}

export class PersonRefDto {
  @ApiProperty() id!: string;
  @ApiProperty() displayName!: string;
}

export class CatalogueStepDto {
  @ApiProperty({ example: 'manager' }) name!: string;
  @ApiProperty({ enum: ['manager', 'resource_owner', 'named', 'group'] }) mode!: string;
  @ApiProperty({ type: [PersonRefDto], description: 'who would be asked, the caller left out' }) approvers!: PersonRefDto[];
  @ApiProperty() required!: number;
}

export class CatalogueApprovalDto {
  @ApiProperty({ description: 'false when access would be granted without anyone approving' }) required!: boolean;
  @ApiProperty({ enum: ['automatic', 'manager', 'resource_owner', 'named', 'group', 'steps'] }) mode!: string;
  @ApiProperty({ type: [CatalogueStepDto] }) steps!: CatalogueStepDto[];
}

export class CatalogueDurationsDto {
  @ApiProperty({ example: 'PT8H', description: 'granted when a request names no duration' }) default!: string;
  @ApiPropertyOptional({ example: 'P7D', description: 'the longest a request may ask for' }) maximum?: string;
  @ApiProperty({ type: [String], example: ['PT1H', 'PT8H'] }) presets!: string[];
}

export class CatalogueProblemDto {
  @ApiProperty({ enum: [...EVALUATION_PROBLEM_CODES, 'POLICY_CONFIG_ERROR'] }) code!: string;
  @ApiProperty() message!: string;
}

export class MyAccessDto {
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty() itemId!: string;
  @ApiProperty() role!: string;
  @ApiProperty({ enum: ITEM_STATUSES }) status!: string;
  @ApiProperty({ example: 'PT8H' }) duration!: string;
  @ApiPropertyOptional({ format: 'date-time' }) grantedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) expiresAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) pendingExpiresAt?: string;
}

export class CatalogueEntryDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: [0, 1, 2, 3, 4] }) tier!: number;
  @ApiProperty({ enum: CONNECTOR_NAMES }) connector!: string;
  @ApiProperty({ description: 'a grant hands the requester short-lived credentials (GET /v1/credentials/{grantId} of the provisioning connector), shown once' })
  issuesCredentials!: boolean;
  @ApiProperty({ type: [PersonRefDto] }) owners!: PersonRefDto[];
  @ApiProperty({ type: [String] }) roles!: string[];
  @ApiProperty({ type: CatalogueDurationsDto }) durations!: CatalogueDurationsDto;
  @ApiProperty() justificationRequired!: boolean;
  @ApiProperty() breakGlassAllowed!: boolean;
  @ApiPropertyOptional({ type: CatalogueApprovalDto, description: 'as the policy engine resolves it for the caller now' })
  approval?: CatalogueApprovalDto;
  @ApiProperty({ type: [CatalogueProblemDto], description: 'why the caller could not request it now; empty when they could' })
  problems!: CatalogueProblemDto[];
  @ApiProperty({ type: [MyAccessDto], description: "the caller's own items on this resource that have not ended" })
  myAccess!: MyAccessDto[];
}

export class CatalogueResultDto {
  @ApiProperty({ type: [CatalogueEntryDto] }) items!: CatalogueEntryDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty() policyVersion!: number;
}
