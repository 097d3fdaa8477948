import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Roles } from '@kairos/auth';
import type { JobStatus } from '../../domain/job';
import { CONNECTOR_NAMES } from '@kairos/contracts';
import { ConnectorHealthMonitor, type ConnectorStatus } from '../../use-cases/probe-connectors/connector-health-monitor';
import { ListJobs, type JobView } from '../../use-cases/list-jobs/list-jobs';
import { JobListDto } from './responses';

const JOB_STATUSES: readonly JobStatus[] = ['pending', 'running', 'awaiting_person', 'succeeded', 'failed'];

export class ListJobsQuery {
  @ApiPropertyOptional({ enum: JOB_STATUSES, description: 'only jobs in this status (failed = retries exhausted, a person must act)' })
  @IsOptional()
  @IsIn(JOB_STATUSES)
  status?: JobStatus;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class ConnectorHealthView {
  @ApiProperty({ enum: CONNECTOR_NAMES })
  name!: string;
  @ApiProperty({ description: 'configured connectors gate /health/ready' })
  configured!: boolean;
  @ApiProperty({ description: 'false for connectors fulfilled by people (manual): nothing to probe' })
  automated!: boolean;
  @ApiProperty({ description: 'the last probe (a cheap real call to the target) succeeded' })
  healthy!: boolean;
  @ApiPropertyOptional()
  reason?: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'when the last probe ended' })
  checkedAt!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String })
  lastError!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String })
  lastErrorAt!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String })
  lastHealthyAt!: string | null;
}

export class ConnectorHealthListDto {
  @ApiProperty({ type: [ConnectorHealthView] })
  connectors!: ConnectorHealthView[];
}

@ApiTags('jobs')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1')
export class JobsController {
  constructor(
    private readonly listJobs: ListJobs,
    private readonly health: ConnectorHealthMonitor,
  ) {}

  @Get('jobs')
  @ApiOperation({ summary: 'Grant and revoke jobs, newest first (admins)' })
  @ApiOkResponse({ type: JobListDto })
  async list(@Query() query: ListJobsQuery): Promise<{ jobs: JobView[] }> {
    return { jobs: await this.listJobs.list(query.status, query.limit) };
  }

  @Get('connectors')
  @ApiOperation({ summary: 'Health of every connector, configured or not, as last probed (admins)' })
  @ApiOkResponse({ type: ConnectorHealthListDto })
  async connectors(): Promise<{ connectors: ConnectorStatus[] }> {
    return { connectors: await this.health.current() };
  }

  @Post('connectors/probe')
  @HttpCode(200)
  @ApiOperation({ summary: 'Probe every connector now and answer what was found (admins)' })
  @ApiOkResponse({ type: ConnectorHealthListDto })
  async probe(): Promise<{ connectors: ConnectorStatus[] }> {
    return { connectors: await this.health.probeAll() };
  }
}
