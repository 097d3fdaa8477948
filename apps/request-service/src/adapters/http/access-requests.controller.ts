import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, Roles, type Principal } from '@kairos/auth';
import { ApiProblems } from '@kairos/http';
import { ActOnRequest } from '../../use-cases/act-on-request/act-on-request';
import { GetRequest } from '../../use-cases/get-request/get-request';
import { ListRequests } from '../../use-cases/list-requests/list-requests';
import { SubmitRequest } from '../../use-cases/submit-request/submit-request';
import { CancelDto, CreateAccessRequestDto, ExtendDto, ItemDto, ListQueryDto, RevokeDto } from './dtos';
import { AccessRequestDetailDto, AccessRequestListDto, AccessRequestViewDto } from './responses';

const uuid = new ParseUUIDPipe({ version: '4' });

@ApiTags('access requests')
@ApiBearerAuth()
@Controller('v1/access-requests')
export class AccessRequestsController {
  constructor(
    private readonly submitRequest: SubmitRequest,
    private readonly actOnRequest: ActOnRequest,
    private readonly getRequest: GetRequest,
    private readonly listRequests: ListRequests,
  ) {}

  @Post()
  @Roles('requester', 'admin')
  @ApiOperation({ summary: 'Ask for access to one or more resources, with a reason and a duration' })
  @ApiCreatedResponse({ type: AccessRequestViewDto, description: 'The request as recorded; Location names it' })
  @ApiProblems(409, 422, 502)
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Any unique string (e.g. a UUID) per intent, 1–255 printable characters. A retry with the same key and body returns the same request (header Idempotent-Replayed: true) instead of creating another; the same key with another body is refused (422). Keys are remembered for 24 hours.',
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateAccessRequestDto,
    @Res({ passthrough: true }) res: Response,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    const { replayed, ...view } = await this.submitRequest.execute(principal, body, idempotencyKey);
    res.status(201).setHeader('location', `/v1/access-requests/${view.requestId}`);
    if (replayed) res.setHeader('idempotent-replayed', 'true');
    return view;
  }

  @Get()
  @ApiOperation({ summary: 'List access requests (requesters see their own; admins and auditors see all)' })
  @ApiOkResponse({ type: AccessRequestListDto })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListQueryDto) {
    return this.listRequests.execute(principal, { requester: query.requester, status: query.status, resource: query.resource, limit: query.limit ?? 50, offset: query.offset ?? 0 });
  }

  @Get(':id')
  @ApiOperation({ summary: 'A request: its state, its items and its history' })
  @ApiOkResponse({ type: AccessRequestDetailDto })
  @ApiProblems(404)
  get(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string) {
    return this.getRequest.execute(principal, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel items still waiting for approval or provisioning' })
  @ApiOkResponse({ type: AccessRequestViewDto })
  @ApiProblems(404, 409, 422)
  cancel(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string, @Body() body: CancelDto) {
    return this.actOnRequest.cancel(principal, id, body);
  }

  @Post(':id/extend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Extend active access (policy decides whether it needs approval again)' })
  @ApiOkResponse({ type: AccessRequestViewDto })
  @ApiProblems(404, 409, 422)
  extend(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string, @Body() body: ExtendDto) {
    return this.actOnRequest.extend(principal, id, body);
  }

  @Post(':id/release')
  @HttpCode(200)
  @ApiOperation({ summary: 'End your own active access early; it cannot be used again' })
  @ApiOkResponse({ type: AccessRequestViewDto })
  @ApiProblems(404, 409)
  release(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string, @Body() body: ItemDto) {
    return this.actOnRequest.release(principal, id, body);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Admins: revoke access now' })
  @ApiOkResponse({ type: AccessRequestViewDto })
  @ApiProblems(404, 409)
  revoke(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string, @Body() body: RevokeDto) {
    return this.actOnRequest.revoke(principal, id, body);
  }
}
