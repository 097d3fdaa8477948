import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { CurrentPrincipal, Roles, type Principal } from '@kairos/auth';
import { ApiProblems, ProblemError } from '@kairos/http';
import { TicketListDto, TicketViewDto } from './tickets.responses';
import { JobsRepository, type ResolveOutcome, type TicketStatus, type TicketView } from '../jobs/jobs.repository';
import { Inject } from '@nestjs/common';
import { CLOCK } from '../tokens';
import type { Clock } from '../domain/clock';
import { ProvisioningRuntime } from '../runtime/provisioning.runtime';

const TICKET_STATUSES: readonly TicketStatus[] = ['open', 'completed', 'failed'];

export class ListTicketsQuery {
  @ApiPropertyOptional({ enum: TICKET_STATUSES, default: 'open' })
  @IsOptional()
  @IsIn(TICKET_STATUSES)
  status?: TicketStatus;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class ResolveTicketBody {
  @ApiProperty({ description: 'what was done (or why it could not be), kept for the audit trail', maxLength: 2000 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  comment!: string;
}

/**
 * Manual fulfilment. A ticket is resolved by the resource's fulfillers (its owners as the request's
 * policy snapshot recorded them) or an admin, never by the person the access is for, its requester
 * or whoever submitted it for them. Approvers see only the tickets they may resolve.
 */
@ApiTags('tickets')
@ApiBearerAuth()
@Roles('admin', 'approver')
@Controller('v1/tickets')
export class TicketsController {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly runtime: ProvisioningRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The fulfilment queue, oldest first (open tickets unless status says otherwise)' })
  @ApiOkResponse({ type: TicketListDto })
  async list(@Query() query: ListTicketsQuery, @CurrentPrincipal() principal: Principal): Promise<{ tickets: TicketView[] }> {
    return { tickets: await this.jobs.listTickets(query.status ?? 'open', query.limit ?? 100, principal) };
  }

  @Post(':id/complete')
  @HttpCode(200)
  @ApiOperation({ summary: 'The access was granted (or removed) by hand; recorded as attested by this person (fulfilledBy), not as verified' })
  @ApiOkResponse({ type: TicketViewDto })
  @ApiProblems(404, 409)
  async complete(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: ResolveTicketBody,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TicketView> {
    return this.answer(await this.jobs.resolveTicket(id, { kind: 'completed', by: principal.id, comment: body.comment }, principal, this.clock.now()));
  }

  @Post(':id/fail')
  @HttpCode(200)
  @ApiOperation({ summary: 'The access could not be granted (or removed); a final failure with the comment as reason' })
  @ApiOkResponse({ type: TicketViewDto })
  @ApiProblems(404, 409)
  async fail(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: ResolveTicketBody,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TicketView> {
    return this.answer(await this.jobs.resolveTicket(id, { kind: 'failed', by: principal.id, comment: body.comment }, principal, this.clock.now()));
  }

  private answer(outcome: ResolveOutcome): TicketView {
    switch (outcome.kind) {
      case 'resolved':
        this.runtime.notify();
        return outcome.ticket;
      case 'not_found':
        throw new ProblemError(404, 'TICKET.NOT_FOUND', 'Not Found', 'no such ticket');
      case 'already_resolved':
        throw new ProblemError(409, 'TICKET.ALREADY_RESOLVED', 'Conflict', `the ticket is already ${outcome.status}`);
      case 'own_access':
        throw new ProblemError(403, 'TICKET.OWN_ACCESS', 'Forbidden', 'nobody fulfils a ticket about their own access or request');
      case 'not_fulfiller':
        throw new ProblemError(403, 'TICKET.NOT_FULFILLER', 'Forbidden', "only the resource's fulfillers or an admin may resolve this ticket");
      default: {
        const exhaustive: never = outcome;
        return exhaustive;
      }
    }
  }
}
