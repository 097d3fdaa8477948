import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { SendListDto } from '../http/responses';
import { DataSource } from 'typeorm';
import { Roles } from '@kairos/auth';
import { ProblemError } from '@kairos/http';

/** The outbox of sends for operators: what went out, what waits, what was dead-lettered and why. */
@ApiTags('notifications')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/notifications')
export class SendsController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('sends')
  @ApiOperation({ summary: 'Sends by status (pending, sent, dead), newest first' })
  @ApiOkResponse({ type: SendListDto })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'sent', 'dead'] })
  @ApiQuery({ name: 'requestId', required: false })
  async sends(@Query('status') status?: unknown, @Query('requestId') requestId?: unknown) {
    if (status !== undefined && !['pending', 'sent', 'dead'].includes(status as string)) {
      throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', 'status: pending, sent or dead');
    }
    if (requestId !== undefined && typeof requestId !== 'string') throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', 'requestId: one id');
    const rows = await this.dataSource.query(
      `SELECT s.send_key AS "sendKey", s.recipient_id AS "recipientId", s.channel, s.status, s.attempts, s.last_error AS "lastError",
              s.sent_at AS "sentAt", n.kind, n.request_id AS "requestId", n.item_id AS "itemId"
       FROM sends s JOIN notifications n USING (notification_id)
       WHERE ($1::text IS NULL OR s.status = $1) AND ($2::text IS NULL OR n.request_id = $2)
       ORDER BY s.created_at DESC LIMIT 500`,
      [status ?? null, requestId ?? null],
    );
    return { items: rows };
  }
}
