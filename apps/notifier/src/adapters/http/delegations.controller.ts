import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsISO8601, Matches } from 'class-validator';
import { CurrentPrincipal, hasRole, type Principal } from '@kairos/auth';
import type { Delegation } from '../../domain/delegation';
import { Delegate, type Actor } from '../../use-cases/delegate/delegate';
import { DelegationDto, DelegationListDto } from './responses';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

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

/** Out of office: an approver names a delegate for a period (the delegate use case). */
@ApiTags('delegations')
@ApiBearerAuth()
@Controller('v1/delegations')
export class DelegationsController {
  constructor(private readonly delegate: Delegate) {}

  @Post()
  @ApiOperation({ summary: 'Delegate your reviews to another person for a period (out of office)' })
  @ApiCreatedResponse({ type: DelegationDto })
  async create(@Body() body: CreateDelegationDto, @CurrentPrincipal() principal: Principal): Promise<Delegation> {
    return this.delegate.create(actorOf(principal), body);
  }

  @Get()
  @ApiOperation({ summary: 'Your delegations (an admin sees all)' })
  @ApiOkResponse({ type: DelegationListDto })
  async list(@CurrentPrincipal() principal: Principal): Promise<{ items: Delegation[] }> {
    return this.delegate.list(actorOf(principal));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End a delegation now (its delegator or an admin)' })
  async revoke(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.delegate.revoke(actorOf(principal), id);
  }
}

const actorOf = (principal: Principal): Actor => ({ id: principal.id, kind: principal.kind, admin: hasRole(principal, 'admin') });
