import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsISO8601, Matches } from 'class-validator';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, hasRole, type Principal } from '@kairos/auth';
import { ProblemError } from '@kairos/http';
import { DelegationDto, DelegationListDto } from '../http/responses';
import { CLOCK, type Clock } from '../shared/clock';
import { toDelegation, type Delegation } from './delegations.repository';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const MAX_DELEGATION_MS = 90 * 86_400_000;

export class CreateDelegationDto {
  @ApiProperty({ example: 'bob', description: 'who reviews in your place (must be an active person; the request rules still apply to them)' })
  @Matches(ID_PATTERN)
  delegateId!: string;

  @ApiProperty({ example: '2030-01-07T00:00:00Z' })
  @IsISO8601({ strict: true })
  startsAt!: string;

  @ApiProperty({ example: '2030-01-14T00:00:00Z', description: 'at most 90 days after startsAt' })
  @IsISO8601({ strict: true })
  endsAt!: string;
}

/**
 * Out of office: an approver names a delegate for a period. Each review that reaches the approver
 * while it lasts is also opened to the delegate, recorded on the request's stream (ReviewEscalated,
 * reason delegation, delegatedBy, until), so the evidence shows who decided in whose place.
 */
@ApiTags('delegations')
@ApiBearerAuth()
@Controller('v1/delegations')
export class DelegationsController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Delegate your reviews to another person for a period (out of office)' })
  @ApiCreatedResponse({ type: DelegationDto })
  async create(@Body() body: CreateDelegationDto, @CurrentPrincipal() principal: Principal): Promise<Delegation> {
    if (principal.kind !== 'person') throw new ProblemError(403, 'FORBIDDEN', 'Forbidden', 'only a person delegates their reviews');
    const starts = Date.parse(body.startsAt);
    const ends = Date.parse(body.endsAt);
    if (body.delegateId === principal.id) throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', 'nobody delegates to themself');
    if (!(ends > starts) || ends - starts > MAX_DELEGATION_MS || ends <= this.clock.now().getTime()) {
      throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', 'endsAt must be after startsAt, in the future, and at most 90 days later');
    }
    const now = this.clock.now();
    const rows = await this.dataSource.query(
      `INSERT INTO delegations (delegation_id, delegator_id, delegate_id, starts_at, ends_at, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [randomUUID(), principal.id, body.delegateId, new Date(starts), new Date(ends), now],
    );
    return toDelegation(rows[0]);
  }

  @Get()
  @ApiOperation({ summary: 'Your delegations (an admin sees all)' })
  @ApiOkResponse({ type: DelegationListDto })
  async list(@CurrentPrincipal() principal: Principal): Promise<{ items: Delegation[] }> {
    const rows = hasRole(principal, 'admin')
      ? await this.dataSource.query('SELECT * FROM delegations ORDER BY created_at DESC LIMIT 500')
      : await this.dataSource.query('SELECT * FROM delegations WHERE delegator_id = $1 OR delegate_id = $1 ORDER BY created_at DESC LIMIT 500', [principal.id]);
    return { items: rows.map(toDelegation) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End a delegation now (its delegator or an admin)' })
  async revoke(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    const rows: { delegator_id: string }[] = await this.dataSource.query('SELECT delegator_id FROM delegations WHERE delegation_id::text = $1', [id]);
    if (!rows[0]) throw new ProblemError(404, 'DELEGATION_NOT_FOUND', 'Not Found', `no delegation ${id}`);
    if (rows[0].delegator_id !== principal.id && !hasRole(principal, 'admin')) throw new ProblemError(403, 'FORBIDDEN', 'Forbidden', "only its delegator or an admin ends a delegation");
    await this.dataSource.query('UPDATE delegations SET revoked_at = $2 WHERE delegation_id = $1 AND revoked_at IS NULL', [id, this.clock.now()]);
  }
}
