import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class InboxStepDto {
  @ApiProperty() index!: number;
  @ApiProperty() name!: string;
  @ApiProperty() required!: number;
  @ApiProperty({ type: [String] }) approvers!: string[];
}

export class InboxRequesterDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['person', 'service'] }) kind!: 'person' | 'service';
  @ApiPropertyOptional() displayName?: string;
  @ApiPropertyOptional({ description: "the manager (a service account's owner)" }) managerId?: string;
}

export class InboxResourceDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() role!: string;
  @ApiProperty() tier!: number;
}

export class SimilarRequestDto {
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty() itemId!: string;
  @ApiProperty() role!: string;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty() justification!: string;
  @ApiProperty({ description: 'the item status it ended in (or is in)' }) outcome!: string;
  @ApiProperty() breakGlass!: boolean;
}

export class InboxItemDto {
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty() itemId!: string;
  @ApiProperty({ enum: ['approval', 'extension', 'ratification'] }) kind!: 'approval' | 'extension' | 'ratification';
  @ApiProperty({ type: InboxStepDto }) step!: InboxStepDto;
  @ApiProperty({ format: 'date-time' }) deadline!: string;
  @ApiProperty({ type: InboxRequesterDto }) requester!: InboxRequesterDto;
  @ApiPropertyOptional({ description: 'who submitted it, when not the requester' }) onBehalfOf?: string;
  @ApiProperty({ type: InboxResourceDto }) resource!: InboxResourceDto;
  @ApiProperty() justification!: string;
  @ApiPropertyOptional() ticket?: string;
  @ApiProperty({ example: 'PT8H' }) duration!: string;
  @ApiPropertyOptional({ format: 'date-time' }) extensionRequestedUntil?: string;
  @ApiProperty() breakGlass!: boolean;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ type: [SimilarRequestDto], description: "the requester's earlier requests for the same resource" })
  history!: SimilarRequestDto[];
}

export class InboxDto {
  @ApiProperty({ type: [InboxItemDto] }) items!: InboxItemDto[];
}
