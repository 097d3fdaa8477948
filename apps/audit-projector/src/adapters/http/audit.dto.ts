import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsNotEmpty, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';

export class RequestIdParams {
  @ApiProperty({ format: 'uuid', description: 'Request id (the stream is access-request-<id>)' })
  @IsUUID()
  id!: string;
}

export class IdentityIdParams {
  @ApiProperty({ description: 'Identity id (person or service account)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  id!: string;
}

export class AccessAtQuery {
  @ApiProperty({ description: 'Resource id' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  resourceId!: string;

  @ApiProperty({ format: 'date-time', description: 'The instant asked about' })
  @IsISO8601({ strict: true })
  at!: string;
}

export class RangeQuery {
  @ApiProperty({ format: 'date-time', description: 'Start of the range (inclusive)' })
  @IsISO8601({ strict: true })
  from!: string;

  @ApiProperty({ format: 'date-time', description: 'End of the range (exclusive)' })
  @IsISO8601({ strict: true })
  to!: string;
}

export class EvidenceQuery extends RangeQuery {
  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';
}

export const SUMMARY_KINDS = ['resources', 'identities', 'groups'] as const;
export type SummaryKind = (typeof SUMMARY_KINDS)[number];

export class SummaryParams {
  @ApiProperty({ enum: SUMMARY_KINDS })
  @IsIn(SUMMARY_KINDS)
  kind!: SummaryKind;
}

export class SummaryQuery {
  @ApiPropertyOptional({ format: 'date-time', description: 'with `to`: only grants held at some time in [from, to)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'end of the range (exclusive)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';
}

export class ParkedQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  offset?: number;
}
