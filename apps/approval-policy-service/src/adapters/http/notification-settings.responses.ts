import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { NOTIFY_CHANNELS } from '../../domain/notification-settings';

/** How to reach a person, and whether they may act (the answer of the notification-settings routes). */
export class NotificationContactDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['person', 'service'] }) kind!: 'person' | 'service';
  @ApiProperty() displayName!: string;
  @ApiPropertyOptional() email?: string;
  @ApiProperty() active!: boolean;
  @ApiPropertyOptional({ description: 'the Slack user linked to this person' }) slackUserId?: string;
  @ApiPropertyOptional({ enum: NOTIFY_CHANNELS, isArray: true, description: "the channels chosen; absent means the deployment's default" })
  notify?: string[];
}

export class NotificationContactListDto {
  @ApiProperty({ type: [NotificationContactDto] }) items!: NotificationContactDto[];
}
