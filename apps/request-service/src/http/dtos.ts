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
  ValidateNested,
} from 'class-validator';

const ISO_DURATION = /^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

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
  @IsOptional()
  @Matches(ISO_DURATION, { message: 'duration must be an ISO 8601 duration such as PT2H or P1D' })
  duration?: string;

  @ApiPropertyOptional({ example: 'INC-4711' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  ticket?: string;

  @ApiPropertyOptional({ description: 'Emergency access where the resource allows it: granted at once, ratified afterwards' })
  @IsOptional()
  @IsBoolean()
  breakGlass?: boolean;

  @ApiPropertyOptional({ description: 'Admins only: the identity the request is for' })
  @IsOptional()
  @Matches(IDENTIFIER, { message: 'onBehalfOf must be an identity id' })
  onBehalfOf?: string;

  @ApiPropertyOptional({ enum: ['person', 'service'], description: 'Admins only: the kind of the identity the request is for' })
  @IsOptional()
  @IsIn(['person', 'service'])
  onBehalfOfKind?: 'person' | 'service';
}

export class CancelDto {
  @ApiPropertyOptional({ type: [String], description: 'Items to cancel; every cancellable item when omitted' })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsString({ each: true })
  itemIds?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;
}

export class ItemDto {
  @ApiProperty({ example: 'i1' })
  @IsString()
  @IsNotEmpty()
  itemId!: string;
}

export class RevokeDto extends ItemDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;
}

export class ExtendDto extends ItemDto {
  @ApiPropertyOptional({ example: 'PT1H', description: 'How much to add to the current expiry (or give extendTo)' })
  @IsOptional()
  @Matches(ISO_DURATION, { message: 'by must be an ISO 8601 duration such as PT1H' })
  by?: string;

  @ApiPropertyOptional({ description: 'The new expiry instant (or give by)' })
  @IsOptional()
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
