import { ApiProperty } from '@nestjs/swagger';

// Response shapes of the fulfilment queue and the jobs list, for the OpenAPI document and the generated client.

const nullable = { nullable: true };

export class SubjectRefDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['person', 'service'] }) kind!: string;
}

export class TicketViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['open', 'completed', 'failed'] }) status!: string;
  @ApiProperty({ enum: ['grant', 'revoke'] }) action!: string;
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty() itemId!: string;
  @ApiProperty() grantId!: string;
  @ApiProperty() target!: string;
  @ApiProperty({ type: SubjectRefDto, description: 'whom the access is for' }) subject!: SubjectRefDto;
  @ApiProperty({ type: String, ...nullable }) resourceId!: string | null;
  @ApiProperty({ type: String, ...nullable }) role!: string | null;
  @ApiProperty({ type: String, ...nullable, description: 'grants: the access runs this long from completion' }) duration!: string | null;
  @ApiProperty({ type: String, format: 'date-time', ...nullable }) expiresAt!: string | null;
  @ApiProperty() breakGlass!: boolean;
  @ApiProperty({ type: String, ...nullable }) justification!: string | null;
  @ApiProperty({ type: String, ...nullable, description: "the requester's ticket reference" }) requestTicket!: string | null;
  @ApiProperty({ type: String, ...nullable }) requesterId!: string | null;
  @ApiProperty({ type: String, ...nullable }) revocationReason!: string | null;
  @ApiProperty({ description: 'the request in the request service' }) requestPath!: string;
  @ApiProperty({ type: [String], description: 'who may resolve it besides admins (never the requester)' }) fulfillers!: string[];
  @ApiProperty({ type: String, ...nullable }) comment!: string | null;
  @ApiProperty({ type: String, ...nullable }) resolvedBy!: string | null;
  @ApiProperty({ format: 'date-time' }) openedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', ...nullable }) resolvedAt!: string | null;
}

export class TicketListDto {
  @ApiProperty({ type: [TicketViewDto] }) tickets!: TicketViewDto[];
}

export class JobViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) requestId!: string;
  @ApiProperty() itemId!: string;
  @ApiProperty() grantId!: string;
  @ApiProperty({ enum: ['grant', 'revoke'] }) action!: string;
  @ApiProperty() connector!: string;
  @ApiProperty() target!: string;
  @ApiProperty({ type: SubjectRefDto }) subject!: SubjectRefDto;
  @ApiProperty({ type: String, ...nullable }) resourceId!: string | null;
  @ApiProperty({ type: String, ...nullable }) role!: string | null;
  @ApiProperty({ type: String, ...nullable, description: 'the role in the target system' }) accessRole!: string | null;
  @ApiProperty({ type: String, format: 'date-time', ...nullable }) expiresAt!: string | null;
  @ApiProperty({ type: String, ...nullable }) revocationReason!: string | null;
  @ApiProperty({ type: [String], ...nullable, description: 'a revocation that left the role for these other active grants' }) retainedBy!:
    string[] | null;
  @ApiProperty({ enum: ['pending', 'running', 'awaiting_person', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ format: 'date-time' }) nextAttemptAt!: string;
  @ApiProperty({ type: String, ...nullable }) lastError!: string | null;
  @ApiProperty({ type: String, ...nullable }) lastAnswer!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class JobListDto {
  @ApiProperty({ type: [JobViewDto] }) jobs!: JobViewDto[];
}
