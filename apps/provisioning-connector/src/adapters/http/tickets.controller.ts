import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { CurrentPrincipal, Roles, type Principal } from '@kairos/auth';
import { ApiProblems } from '@kairos/http';
import { TICKET_STATUSES, type TicketStatus, type TicketView } from '../../domain/tickets';
import { ListTickets } from '../../use-cases/list-tickets/list-tickets';
import { ResolveTicket } from '../../use-cases/resolve-ticket/resolve-ticket';
import { TicketListDto, TicketViewDto } from './responses';

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
    private readonly tickets: ListTickets,
    private readonly resolver: ResolveTicket,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The fulfilment queue, oldest first (open tickets unless status says otherwise)' })
  @ApiOkResponse({ type: TicketListDto })
  async list(@Query() query: ListTicketsQuery, @CurrentPrincipal() principal: Principal): Promise<{ tickets: TicketView[] }> {
    return { tickets: await this.tickets.list(principal, query.status, query.limit) };
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
    return this.resolver.resolve(id, 'completed', body.comment, principal);
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
    return this.resolver.resolve(id, 'failed', body.comment, principal);
  }
}
