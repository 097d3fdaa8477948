import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** What the notifier's routes answer (described for the OpenAPI document and the typed client). */
export class DelegationDto {
  @ApiProperty({ format: 'uuid' }) delegationId!: string;
  @ApiProperty() delegatorId!: string;
  @ApiProperty() delegateId!: string;
  @ApiProperty({ format: 'date-time' }) startsAt!: string;
  @ApiProperty({ format: 'date-time' }) endsAt!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) revokedAt?: string;
}

export class DelegationListDto {
  @ApiProperty({ type: [DelegationDto] }) items!: DelegationDto[];
}

export class SendDto {
  @ApiProperty({ description: 'unique per (event, recipient, channel)' }) sendKey!: string;
  @ApiProperty() recipientId!: string;
  @ApiProperty({ enum: ['email', 'slack', 'webhook'] }) channel!: string;
  @ApiProperty({ enum: ['pending', 'sent', 'dead'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true, description: 'scrubbed of credentials' }) lastError!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) sentAt!: string | null;
  @ApiProperty({ description: 'what the notification is about, e.g. review_needed, granted' }) kind!: string;
  @ApiProperty() requestId!: string;
  @ApiProperty({ type: String, nullable: true }) itemId!: string | null;
}

export class SendListDto {
  @ApiProperty({ type: [SendDto] }) items!: SendDto[];
}

/** Slack's answer format for an interaction: a message only the clicking person sees. */
export class SlackInteractionAnswerDto {
  @ApiProperty({ enum: ['ephemeral'] }) response_type!: 'ephemeral';
  @ApiProperty({ enum: [false] }) replace_original!: false;
  @ApiProperty() text!: string;
}
