import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Roles } from '@kairos/auth';
import type { JobStatus } from '../domain/job';
import { CONNECTORS, type ConnectorRegistry } from '../connectors/registry';
import { JobsRepository, type JobView } from './jobs.repository';

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
  @ApiProperty({ enum: ['postgres', 'webhook', 'manual'] })
  name!: string;
  @ApiProperty({ description: 'configured connectors gate /health/ready' })
  configured!: boolean;
  @ApiProperty()
  healthy!: boolean;
  @ApiPropertyOptional()
  reason?: string;
}

@ApiTags('jobs')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1')
export class JobsController {
  constructor(
    private readonly jobs: JobsRepository,
    @Inject(CONNECTORS) private readonly connectors: ConnectorRegistry,
  ) {}

  @Get('jobs')
  @ApiOperation({ summary: 'Grant and revoke jobs, newest first (admins)' })
  async list(@Query() query: ListJobsQuery): Promise<{ jobs: JobView[] }> {
    return { jobs: await this.jobs.listJobs(query.status, query.limit ?? 100) };
  }

  @Get('connectors')
  @ApiOperation({ summary: 'Health of every connector, configured or not (admins)' })
  @ApiOkResponse({ type: [ConnectorHealthView] })
  async health(): Promise<{ connectors: ConnectorHealthView[] }> {
    const automated = await Promise.all(
      [...this.connectors.values()].map(async (c) => {
        const health = await c.health();
        return { name: c.name, configured: c.configured, healthy: health.healthy, ...(health.healthy ? {} : { reason: health.reason }) };
      }),
    );
    return { connectors: [...automated, { name: 'manual', configured: true, healthy: true }] };
  }
}
