import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { REVOCATION_REASONS } from '@kairos/contracts';
import { ITEM_STATUSES } from '@kairos/access-request-domain';

// Response shapes of the request API (the AccessRequestView of @kairos/access-request-domain), for
// the OpenAPI document and the generated client.


export class CurrentStepDto {
  @ApiProperty() index!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'approvals given so far' }) approvals!: number;
  @ApiProperty() required!: number;
}

export class ItemApprovalDto {
  @ApiProperty({ enum: ['automatic', 'reviews', 'reused_approval', 'break_glass'] }) via!: string;
  @ApiProperty({ format: 'date-time' }) approvedAt!: string;
  @ApiProperty({ format: 'date-time' }) approvalExpiresAt!: string;
}

export class ItemFailureDto {
  @ApiProperty() attempt!: number;
  @ApiProperty() reason!: string;
  @ApiProperty() final!: boolean;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class PendingExtensionDto {
  @ApiProperty() extensionId!: string;
  @ApiProperty({ format: 'date-time' }) requestedExpiresAt!: string;
}

export class ItemBreakGlassDto {
  @ApiProperty({ format: 'date-time' }) ratifyBy!: string;
  @ApiPropertyOptional() ratifiedBy?: string;
  @ApiProperty() missed!: boolean;
}

export class ItemViewDto {
  @ApiProperty() itemId!: string;
  @ApiProperty() resourceId!: string;
  @ApiProperty() role!: string;
  @ApiProperty({ enum: ITEM_STATUSES }) status!: string;
  @ApiProperty({ description: 'the item has ended and will not change' }) terminal!: boolean;
  @ApiProperty({ example: 'PT8H', description: 'the access duration in force for this item' }) duration!: string;
  @ApiPropertyOptional({ type: CurrentStepDto }) currentStep?: CurrentStepDto;
  @ApiPropertyOptional({ format: 'date-time' }) pendingExpiresAt?: string;
  @ApiPropertyOptional({ type: ItemApprovalDto, description: 'approval, apart from fulfilment' }) approval?: ItemApprovalDto;
  @ApiPropertyOptional() grantId?: string;
  @ApiPropertyOptional({ format: 'date-time' }) grantedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) expiresAt?: string;
  @ApiPropertyOptional() verified?: boolean;
  @ApiPropertyOptional() provisioningAttempts?: number;
  @ApiPropertyOptional({ type: ItemFailureDto }) lastFailure?: ItemFailureDto;
  @ApiPropertyOptional({ enum: REVOCATION_REASONS }) revocationReason?: string;
  @ApiPropertyOptional({ type: PendingExtensionDto }) pendingExtension?: PendingExtensionDto;
  @ApiPropertyOptional({ type: ItemBreakGlassDto }) breakGlass?: ItemBreakGlassDto;
  @ApiProperty({ description: 'reviews recorded' }) reviews!: number;
  @ApiPropertyOptional({ format: 'date-time' }) endedAt?: string;
  @ApiPropertyOptional() outcomeReason?: string;
}

export class RequesterDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['person', 'service'] }) kind!: 'person' | 'service';
}

export class AccessRequestViewDto {
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty({ description: 'the overall status, derived from the items' }) status!: string;
  @ApiProperty({ type: RequesterDto, description: 'whom the access is for' }) requester!: RequesterDto;
  @ApiProperty({ description: 'who submitted it' }) requestedBy!: string;
  @ApiProperty() onBehalf!: boolean;
  @ApiProperty() justification!: string;
  @ApiProperty({ example: 'PT8H' }) duration!: string;
  @ApiPropertyOptional() ticket?: string;
  @ApiProperty() breakGlass!: boolean;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ type: [ItemViewDto] }) items!: ItemViewDto[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'items per status' }) counts!: Record<
    string,
    number
  >;
}

export class HistoryEntryDto {
  @ApiProperty() eventId!: string;
  @ApiProperty() revision!: number;
  @ApiProperty({ example: 'AccessRequested' }) type!: string;
  @ApiProperty({ format: 'date-time' }) recordedAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the event data' }) data!: unknown;
}

export class AccessRequestDetailDto extends AccessRequestViewDto {
  @ApiProperty({ type: [HistoryEntryDto], description: 'every event of the request, in order' }) history!: HistoryEntryDto[];
}

export class AccessRequestListDto {
  @ApiProperty({ type: [AccessRequestViewDto] }) items!: AccessRequestViewDto[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}
