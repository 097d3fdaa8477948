import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { parseDuration } from '@kairos/access-request-domain';
import { MAX_DURATION_SECONDS } from '@kairos/contracts';
import { IsOmittable } from '@kairos/http';

const ISO_DURATION = /^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const MAX_DURATION_DAYS = Math.floor(MAX_DURATION_SECONDS / 86_400);

/** An ISO 8601 duration in weeks, days and time units, within Kairos's one duration bound. */
const IsBoundedDuration = (example: string) =>
  ValidateBy({
    name: 'isBoundedDuration',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && ISO_DURATION.test(value) && parseDuration(value) !== undefined,
      defaultMessage: (args) =>
        typeof args?.value === 'string' && ISO_DURATION.test(args.value)
          ? `${args.property} is out of range: at most P${MAX_DURATION_DAYS}D`
          : `${args?.property} must be an ISO 8601 duration such as ${example}`,
    },
  });

export class RequestedItemDto {
  @ApiProperty({ example: 'prod-db' })
  @IsString()
  @Matches(IDENTIFIER, { message: 'resourceId must be an identifier (letters, digits, . _ : @ -)' })
  resourceId!: string;

  @ApiProperty({ example: 'readonly' })
  @IsString()
  @Matches(IDENTIFIER, { message: 'role must be an identifier (letters, digits, . _ : @ -)' })
  role!: string;
}

export class CreateAccessRequestDto {
  @ApiProperty({ type: [RequestedItemDto], description: 'One or more resources with the role wanted on each' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => RequestedItemDto)
  items!: RequestedItemDto[];

  @ApiProperty({ example: 'INC-4711: investigating failed payments' })
  @IsString()
  @MaxLength(2000)
  justification!: string;

  @ApiPropertyOptional({ example: 'PT2H', description: "ISO 8601 duration; the resources' default when omitted" })
  @IsOmittable()
  @IsBoundedDuration('PT2H or P1D')
  duration?: string;

  @ApiPropertyOptional({ example: 'INC-4711' })
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  ticket?: string;

  @ApiPropertyOptional({ description: 'Emergency access where the resource allows it: granted at once, ratified afterwards' })
  @IsOmittable()
  @IsBoolean()
  breakGlass?: boolean;

  @ApiPropertyOptional({ description: 'Admins only: the identity the request is for' })
  @IsOmittable()
  @Matches(IDENTIFIER, { message: 'onBehalfOf must be an identity id' })
  onBehalfOf?: string;

  @ApiPropertyOptional({ enum: ['person', 'service'], description: 'Admins only: the kind of the identity the request is for' })
  @IsOmittable()
  @IsIn(['person', 'service'])
  onBehalfOfKind?: 'person' | 'service';
}

export class CancelDto {
  @ApiPropertyOptional({ type: [String], description: 'Items to cancel; every cancellable item when omitted' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  itemIds?: string[];

  @ApiPropertyOptional()
  @IsOmittable()
  @IsString()
  @MaxLength(1000)
  reason?: string;
}

export class ItemDto {
  @ApiProperty({ example: 'i1' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  itemId!: string;
}

export class RevokeDto extends ItemDto {
  @ApiPropertyOptional()
  @IsOmittable()
  @IsString()
  @MaxLength(1000)
  reason?: string;
}

export class ExtendDto extends ItemDto {
  @ApiPropertyOptional({ example: 'PT1H', description: 'How much to add to the current expiry (or give extendTo)' })
  @IsOmittable()
  @IsBoundedDuration('PT1H')
  by?: string;

  @ApiPropertyOptional({ description: 'The new expiry instant (or give by)' })
  @IsOmittable()
  @IsISO8601({ strict: true })
  extendTo?: string;
}

export class ListQueryDto {
  @ApiPropertyOptional({ description: 'Requester id; requesters may only list their own' })
  @IsOptional()
  @IsString()
  requester?: string;

  @ApiPropertyOptional({ enum: ['pending_approval', 'provisioning', 'active', 'revoking', 'denied', 'cancelled', 'failed', 'expired', 'completed'] })
  @IsOptional()
  @IsIn(['pending_approval', 'provisioning', 'active', 'revoking', 'denied', 'cancelled', 'failed', 'expired', 'completed'])
  status?: string;

  @ApiPropertyOptional({ description: 'Requests that include this resource' })
  @IsOptional()
  @IsString()
  resource?: string;

  @ApiPropertyOptional({ default: 50, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;
}
