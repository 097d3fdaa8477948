import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { Roles } from '@kairos/auth';
import { ApiProblems, ProblemError } from '@kairos/http';
import { accessSummaryToCsv, NoGroupDataError } from '../../domain/access-summary';
import { evidenceToCsv } from '../../domain/evidence';
import { ExportEvidence } from '../../use-cases/export-evidence/export-evidence';
import { QueryAudit } from '../../use-cases/query-audit/query-audit';
import { SummarizeAccess } from '../../use-cases/summarize-access/summarize-access';
import { VerifyStreams, type VerificationReport } from '../../use-cases/verify-streams/verify-streams';
import {
  AccessAtQuery,
  EvidenceQuery,
  IdentityIdParams,
  ParkedQuery,
  RangeQuery,
  RequestIdParams,
  SummaryParams,
  SummaryQuery,
  type SummaryKind,
} from './audit.dto';
import {
  AccessAtDto,
  AccessSummaryDto,
  EvidenceExportDto,
  GrantListDto,
  HoldingsDto,
  ParkedListDto,
  TimelineDto,
  VerificationReportDto,
} from './audit.responses';

const csvOrJson = (type: Function) => ({
  'application/json': { schema: { $ref: getSchemaPath(type) } },
  'text/csv': {
    schema: { type: 'string' as const, description: 'RFC 4180, a header line then one line a row; formula-like cells quoted' },
  },
});

const GROUPS_NOT_RECORDED = () =>
  new ProblemError(
    501,
    'AUDIT.GROUPS_NOT_RECORDED',
    'Not Implemented',
    'no recorded request carries the requester groups (AccessRequested records requesterGroups only since request-service sends them), so group summaries cannot be derived from the audit trail yet',
  );

const MAX_RANGE_DAYS = 400;

function range(query: RangeQuery): { from: Date; to: Date } {
  const from = new Date(query.from);
  const to = new Date(query.to);
  if (!(from < to)) {
    throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', '1 field(s) are not valid', {
      errors: [{ field: 'to', messages: ['to must be after from'] }],
    });
  }
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', '1 field(s) are not valid', {
      errors: [{ field: 'to', messages: [`the range may span at most ${MAX_RANGE_DAYS} days`] }],
    });
  }
  return { from, to };
}

/** Audit evidence reveals who holds what everywhere: auditors and admins only, never requesters or approvers. */
@ApiTags('audit')
@ApiBearerAuth()
@ApiExtraModels(AccessSummaryDto, EvidenceExportDto)
@Roles('auditor', 'admin')
@Controller('v1/audit')
export class AuditController {
  constructor(
    private readonly queries: QueryAudit,
    private readonly summarize: SummarizeAccess,
    private readonly exportEvidence: ExportEvidence,
    private readonly verifyStreams: VerifyStreams,
  ) {}

  @Get('requests/:id/timeline')
  @ApiOperation({ summary: 'Every event of a request, in stream order, as recorded (unknown and malformed ones included)' })
  @ApiOkResponse({ type: TimelineDto })
  @ApiProblems(404)
  async timeline(@Param() params: RequestIdParams) {
    return this.queries.timeline(params.id);
  }

  @Get('grants/active')
  @ApiOperation({ summary: 'Grants not yet revoked in the target system (an expired grant stays here until its revocation is recorded)' })
  @ApiOkResponse({ type: GrantListDto })
  async activeGrants() {
    return this.queries.activeGrants();
  }

  @Get('access')
  @ApiOperation({ summary: 'Who held access to a resource at an instant' })
  @ApiOkResponse({ type: AccessAtDto })
  async accessAt(@Query() query: AccessAtQuery) {
    return this.queries.accessAt(query.resourceId, new Date(query.at));
  }

  @Get('identities/:id/holdings')
  @ApiOperation({ summary: 'Everything an identity held at any time in [from, to)' })
  @ApiOkResponse({ type: HoldingsDto })
  async holdings(@Param() params: IdentityIdParams, @Query() query: RangeQuery) {
    const { from, to } = range(query);
    return this.queries.holdings(params.id, from, to);
  }

  @Get('summaries/:kind')
  @ApiOperation({
    summary:
      'Access summary per resource, identity or requester group: counts, and the rows (who had what, when) for [from, to) or all time; JSON or CSV to download',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'The summary (JSON) or its rows (CSV)', content: csvOrJson(AccessSummaryDto) })
  @ApiProblems(501)
  async summaries(@Param() params: SummaryParams, @Query() query: SummaryQuery, @Res() res: Response): Promise<void> {
    if ((query.from === undefined) !== (query.to === undefined)) {
      throw new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', '1 field(s) are not valid', {
        errors: [{ field: query.from === undefined ? 'from' : 'to', messages: ['from and to go together'] }],
      });
    }
    const window = query.from !== undefined && query.to !== undefined ? range({ from: query.from, to: query.to }) : undefined;
    const kind: SummaryKind = params.kind;
    let summary;
    try {
      summary = await this.summarize.run(kind, window, { rowsOnly: query.format === 'csv' });
    } catch (error) {
      if (error instanceof NoGroupDataError) throw GROUPS_NOT_RECORDED();
      throw error;
    }
    const name = `kairos-access-${kind}${window ? `-${window.from.toISOString().slice(0, 10)}-${window.to.toISOString().slice(0, 10)}` : ''}-${summary.generatedAt.slice(0, 10)}`;
    if (query.format === 'csv') {
      res.status(200).type('text/csv; charset=utf-8').setHeader('content-disposition', `attachment; filename="${name}.csv"`);
      res.send(accessSummaryToCsv(kind, summary.rows));
      return;
    }
    const body = summary as AccessSummaryDto;
    res.status(200).type('application/json; charset=utf-8').setHeader('content-disposition', `attachment; filename="${name}.json"`);
    res.send(JSON.stringify(body));
  }

  @Get('evidence')
  @ApiOperation({
    summary:
      'Evidence export for requests submitted in [from, to): who, what, why, approvals, grant and revocation (SOC 2 CC6, ISO 27001 A.5.18)',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'The evidence export (JSON) or its rows (CSV)', content: csvOrJson(EvidenceExportDto) })
  async evidence(@Query() query: EvidenceQuery, @Res() res: Response): Promise<void> {
    const { from, to } = range(query);
    const evidence = await this.exportEvidence.run(from, to);
    const name = `kairos-evidence-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}`;
    if (query.format === 'csv') {
      res.status(200).type('text/csv; charset=utf-8').setHeader('content-disposition', `attachment; filename="${name}.csv"`);
      res.send(evidenceToCsv(evidence.records));
      return;
    }
    res.status(200).setHeader('content-disposition', `attachment; filename="${name}.json"`);
    res.json(evidence);
  }

  @Get('parked')
  @ApiOperation({
    summary:
      'Events the projector could not store and skipped (the event store still holds them): stream, revision, position, event id, type, error, first seen',
  })
  @ApiOkResponse({ type: ParkedListDto })
  async parked(@Query() query: ParkedQuery) {
    return this.queries.parked(query.limit ?? 100, query.offset ?? 0);
  }

  @Get('verify')
  @ApiOperation({ summary: 'Re-reads every request stream and checks it against the recorded hash chain; names each stream that fails' })
  @ApiOkResponse({
    type: VerificationReportDto,
    description: 'The report; `ok` is false when any stream is altered, has a gap or was truncated',
  })
  async verify(): Promise<VerificationReport> {
    return this.verifyStreams.run();
  }
}
