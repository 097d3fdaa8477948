import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SUMMARY_KINDS } from './audit.dto';

// Response shapes of the audit API, for the OpenAPI document and the generated client.

const nullable = (extra: Record<string, unknown> = {}) => ({ nullable: true, ...extra });

export class PositionDto {
  @ApiProperty({ description: 'commit position in $all, as a decimal string' }) commit!: string;
  @ApiProperty() prepare!: string;
}

export class TimelineEntryDto {
  @ApiProperty({ description: 'stream revision, as a decimal string' }) revision!: string;
  @ApiProperty() eventId!: string;
  @ApiProperty({ example: 'AccessRequested' }) type!: string;
  @ApiProperty({ enum: ['recorded', 'unknown', 'malformed'] }) status!: 'recorded' | 'unknown' | 'malformed';
  @ApiProperty({ type: String, ...nullable(), description: 'why an event is unknown or malformed' }) problem!: string | null;
  @ApiProperty({ type: PositionDto }) position!: PositionDto;
  @ApiProperty({ format: 'date-time' }) recordedAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the event data as recorded' }) data!: unknown;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the event metadata as recorded' }) metadata!: unknown;
}

export class TimelineDto {
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty({ type: [TimelineEntryDto] }) events!: TimelineEntryDto[];
}

export class SubjectRefDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['person', 'service'] }) kind!: string;
}

export class GrantIntervalDto {
  @ApiProperty() grantId!: string;
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty() itemId!: string;
  @ApiProperty({ type: SubjectRefDto }) subject!: SubjectRefDto;
  @ApiProperty() resourceId!: string;
  @ApiProperty() role!: string;
  @ApiProperty() breakGlass!: boolean;
  @ApiProperty({ description: 'the connector checked the target for exactly this identity and role' }) grantVerified!: boolean;
  @ApiProperty({ format: 'date-time' }) grantedAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: String, format: 'date-time', ...nullable(), description: 'when the access ended; null while held' }) endedAt!:
    string | null;
  @ApiProperty({ type: String, ...nullable() }) endReason!: string | null;
  @ApiProperty({ type: Boolean, ...nullable() }) revocationVerified!: boolean | null;
}

export class GrantListDto {
  @ApiProperty({ type: [GrantIntervalDto] }) grants!: GrantIntervalDto[];
}

export class AccessAtDto extends GrantListDto {
  @ApiProperty() resourceId!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class HoldingsDto extends GrantListDto {
  @ApiProperty() identityId!: string;
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
}

export class AccessSummaryRowDto extends GrantIntervalDto {
  @ApiProperty({ description: 'the resource, identity or group this grant is summarised under' }) key!: string;
}

export class ResourceSummaryDto {
  @ApiProperty() resourceId!: string;
  @ApiProperty() itemsRequested!: number;
  @ApiProperty() itemsDenied!: number;
  @ApiProperty() grants!: number;
  @ApiProperty() activeGrants!: number;
  @ApiProperty() breakGlassGrants!: number;
  @ApiProperty() distinctRequesters!: number;
  @ApiProperty({ type: String, format: 'date-time', ...nullable() }) lastGrantedAt!: string | null;
}

export class IdentitySummaryDto {
  @ApiProperty() identityId!: string;
  @ApiProperty({ enum: ['person', 'service'] }) kind!: string;
  @ApiProperty() requests!: number;
  @ApiProperty() itemsRequested!: number;
  @ApiProperty() itemsDenied!: number;
  @ApiProperty() grants!: number;
  @ApiProperty() activeGrants!: number;
  @ApiProperty() breakGlassRequests!: number;
  @ApiProperty() distinctResources!: number;
}

export class GroupSummaryDto {
  @ApiProperty() groupId!: string;
  @ApiProperty() distinctRequesters!: number;
  @ApiProperty() requests!: number;
  @ApiProperty() itemsRequested!: number;
  @ApiProperty() grants!: number;
  @ApiProperty() activeGrants!: number;
}

export class AccessSummaryDto {
  @ApiProperty({ enum: SUMMARY_KINDS }) kind!: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'the range of `rows`, when one was asked for' }) from?: string;
  @ApiPropertyOptional({ format: 'date-time' }) to?: string;
  @ApiProperty({ format: 'date-time' }) generatedAt!: string;
  @ApiPropertyOptional({ type: [ResourceSummaryDto], description: 'kind resources: counts over the whole recorded history' })
  resources?: ResourceSummaryDto[];
  @ApiPropertyOptional({ type: [IdentitySummaryDto], description: 'kind identities: counts over the whole recorded history' })
  identities?: IdentitySummaryDto[];
  @ApiPropertyOptional({ type: [GroupSummaryDto], description: 'kind groups: counts over the whole recorded history' })
  groups?: GroupSummaryDto[];
  @ApiProperty({
    type: [AccessSummaryRowDto],
    description: 'who had what, when: each grant held in the range (all without one), under its key',
  })
  rows!: AccessSummaryRowDto[];
}

export class EvidenceApprovalDto {
  @ApiProperty() reviewerId!: string;
  @ApiProperty() decision!: string;
  @ApiProperty() subject!: string;
  @ApiProperty() step!: number;
  @ApiProperty() stepName!: string;
  @ApiProperty({ type: String, ...nullable() }) comment!: string | null;
  @ApiProperty({ format: 'date-time' }) recordedAt!: string;
}

export class EvidenceGrantDto {
  @ApiProperty() grantId!: string;
  @ApiProperty({ format: 'date-time' }) grantedAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty() grantVerified!: boolean;
  @ApiProperty({ type: String, ...nullable() }) grantAttestedBy!: string | null;
  @ApiProperty({ type: String, format: 'date-time', ...nullable() }) expiredAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', ...nullable() }) revocationRequestedAt!: string | null;
  @ApiProperty({ type: String, ...nullable() }) revocationReason!: string | null;
  @ApiProperty({ type: String, format: 'date-time', ...nullable() }) revokedAt!: string | null;
  @ApiProperty({ type: Boolean, ...nullable() }) revocationVerified!: boolean | null;
  @ApiProperty({ type: String, ...nullable() }) revocationRetainedBy!: string | null;
  @ApiProperty({ type: String, ...nullable() }) revocationAttestedBy!: string | null;
}

export class EvidencePolicyDto {
  @ApiProperty({ type: Number, ...nullable() }) tier!: number | null;
  @ApiProperty({ type: String, ...nullable() }) mode!: string | null;
}

export class EvidenceApprovalChainDto {
  @ApiProperty({ type: String, ...nullable() }) via!: string | null;
  @ApiProperty({ type: String, ...nullable() }) reusedFrom!: string | null;
  @ApiProperty({ type: String, format: 'date-time', ...nullable() }) approvedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', ...nullable() }) approvalExpiresAt!: string | null;
  @ApiProperty({ type: String, ...nullable() }) deniedBy!: string | null;
  @ApiProperty({ type: String, ...nullable() }) denialReason!: string | null;
  @ApiProperty({ type: String, ...nullable() }) breakGlassRatifiedBy!: string | null;
  @ApiProperty({ type: [EvidenceApprovalDto] }) reviews!: EvidenceApprovalDto[];
}

export class EvidenceRecordDto {
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty() itemId!: string;
  @ApiProperty({ type: SubjectRefDto }) requester!: SubjectRefDto;
  @ApiProperty() requestedBy!: string;
  @ApiProperty() onBehalf!: boolean;
  @ApiProperty() resourceId!: string;
  @ApiProperty() role!: string;
  @ApiProperty() justification!: string;
  @ApiProperty({ type: String, ...nullable() }) ticket!: string | null;
  @ApiProperty() breakGlass!: boolean;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ type: EvidencePolicyDto }) policy!: EvidencePolicyDto;
  @ApiProperty() status!: string;
  @ApiProperty({ type: EvidenceApprovalChainDto }) approval!: EvidenceApprovalChainDto;
  @ApiProperty({ type: [EvidenceGrantDto] }) grants!: EvidenceGrantDto[];
}

export class EvidenceExportDto {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ format: 'date-time' }) generatedAt!: string;
  @ApiProperty({ type: [String] }) controls!: string[];
  @ApiProperty({ type: [EvidenceRecordDto] }) records!: EvidenceRecordDto[];
}

export class ParkedEventDto {
  @ApiProperty() subscriptionId!: string;
  @ApiProperty() stream!: string;
  @ApiProperty() revision!: string;
  @ApiProperty({ type: PositionDto }) position!: PositionDto;
  @ApiProperty() eventId!: string;
  @ApiProperty() type!: string;
  @ApiProperty() error!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ format: 'date-time' }) firstSeen!: string;
}

export class ParkedListDto {
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ type: [ParkedEventDto] }) events!: ParkedEventDto[];
}

export class StreamProblemDto {
  @ApiProperty({ enum: ['stream_missing', 'truncated_start', 'gap', 'truncated_end', 'altered', 'chain_broken'] }) kind!: string;
  @ApiPropertyOptional() recordedEvents?: number;
  @ApiPropertyOptional() firstRevision?: string;
  @ApiPropertyOptional({ type: [String] }) missingRevisions?: string[];
  @ApiPropertyOptional({ type: String, nullable: true }) lastRevision?: string | null;
  @ApiPropertyOptional() lastRecordedRevision?: string;
  @ApiPropertyOptional() revision?: string;
  @ApiPropertyOptional() eventId?: string;
  @ApiPropertyOptional() recordedEventId?: string;
}

export class StreamVerdictDto {
  @ApiProperty() stream!: string;
  @ApiProperty({ enum: ['intact', 'failed'] }) status!: string;
  @ApiProperty({ type: [StreamProblemDto] }) problems!: StreamProblemDto[];
  @ApiProperty() checkedEvents!: number;
  @ApiProperty() unseenEvents!: number;
}

export class VerificationReportDto {
  @ApiProperty({ description: 'false when any stream is altered, has a gap or was truncated' }) ok!: boolean;
  @ApiProperty({ format: 'date-time' }) checkedAt!: string;
  @ApiProperty() streams!: number;
  @ApiProperty({ type: [StreamVerdictDto] }) failed!: StreamVerdictDto[];
  @ApiProperty() intact!: number;
  @ApiProperty() checkedEvents!: number;
  @ApiProperty() unseenEvents!: number;
  @ApiProperty() parkedEvents!: number;
}
