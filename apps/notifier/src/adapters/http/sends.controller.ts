import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Roles } from '@kairos/auth';
import { ProblemError } from '@kairos/http';
import { ListSends, SEND_STATUSES, type SendStatus } from '../../use-cases/list-sends/list-sends';
import { SendListDto } from './responses';

/** The outbox of sends for operators: what went out, what waits, what was dead-lettered and why. */
@ApiTags('notifications')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/notifications')
export class SendsController {
  constructor(private readonly listSends: ListSends) {}

  @Get('sends')
  @ApiOperation({ summary: 'Sends by status (pending, sent, dead), newest first' })
  @ApiOkResponse({ type: SendListDto })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'sent', 'dead'] })
  @ApiQuery({ name: 'requestId', required: false })
  async sends(@Query('status') status?: unknown, @Query('requestId') requestId?: unknown) {
    if (status !== undefined && !(SEND_STATUSES as readonly unknown[]).includes(status)) {
      throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', 'status: pending, sent or dead');
    }
    if (requestId !== undefined && typeof requestId !== 'string') throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', 'requestId: one id');
    return this.listSends.run({ status: status as SendStatus | undefined, requestId });
  }
}
