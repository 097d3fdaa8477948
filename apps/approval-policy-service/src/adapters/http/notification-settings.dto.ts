import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, Matches } from 'class-validator';
import { IsOmittable } from '@kairos/http';
import { NOTIFY_CHANNELS, type NotifyChannel } from '../../domain/notification-settings';

export class NotificationSettingsDto {
  @ApiPropertyOptional({ description: "the person's Slack member id (U…/W…); one identity per Slack user", example: 'U024BE7LH' })
  @IsOmittable()
  @Matches(/^[UW][A-Z0-9]{2,20}$/, { message: 'slackUserId must be a Slack member id such as U024BE7LH' })
  slackUserId?: string;

  @ApiPropertyOptional({ enum: NOTIFY_CHANNELS, isArray: true, description: "channels to be told on; absent: the deployment's default" })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(2)
  @IsIn(NOTIFY_CHANNELS, { each: true })
  notify?: NotifyChannel[];
}
