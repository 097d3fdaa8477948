import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { Roles } from '@kairos/auth';
import { TIMER_KINDS, type TimerKind } from '@kairos/contracts';
import { TIMER_STATUSES, type Timer, type TimerStatus } from '../../domain/timer';
import { ListTimers } from '../../use-cases/list-timers/list-timers';

export class ListTimersQuery {
  @ApiPropertyOptional({ description: 'Only the timers of this access request' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  requestId?: string;

  @ApiPropertyOptional({ enum: TIMER_STATUSES, default: 'pending' })
  @IsOptional()
  @IsIn(TIMER_STATUSES)
  status?: TimerStatus;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class TimerView {
  @ApiProperty({ description: 'Stable per target: scheduling it again moves it' }) timerId!: string;
  @ApiProperty() requestId!: string;
  @ApiProperty() itemId!: string;
  @ApiPropertyOptional({ description: 'Set on access_expiry timers' }) grantId?: string;
  @ApiProperty({ enum: TIMER_KINDS }) kind!: TimerKind;
  @ApiProperty({ format: 'date-time' }) dueAt!: string;
  @ApiProperty({ enum: TIMER_STATUSES }) status!: TimerStatus;
  @ApiPropertyOptional({ format: 'date-time' }) firedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) cancelledAt?: string;
  @ApiPropertyOptional({ description: 'The request event that made the timer pointless' }) cancelledBy?: string;
}

export class TimerList {
  @ApiProperty({ type: [TimerView] }) timers!: Timer[];
}

@ApiTags('timers')
@ApiBearerAuth()
@Controller('v1/timers')
export class TimersController {
  constructor(private readonly listTimers: ListTimers) {}

  // Timers reveal who holds what access until when: operators only.
  @Roles('admin')
  @Get()
  @ApiOkResponse({ type: TimerList, description: 'Timers ordered by due time (pending ones unless `status` says otherwise)' })
  async list(@Query() query: ListTimersQuery): Promise<TimerList> {
    return { timers: await this.listTimers.execute(query) };
  }
}
