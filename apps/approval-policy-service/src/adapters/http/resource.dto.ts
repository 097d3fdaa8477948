import { ApiExtraModels, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOmittable } from '@kairos/http';
import { CONNECTOR_NAMES, type ConnectorName } from '@kairos/contracts';
import { groupOverridesSchema, PartialTierSettingsDto } from './catalogue.dto';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

@ApiExtraModels(PartialTierSettingsDto)
export class ResourceBodyDto {
  @ApiProperty({ example: 'Orders database' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: CONNECTOR_NAMES })
  @IsIn(CONNECTOR_NAMES)
  connector!: ConnectorName;

  @ApiProperty({ description: 'where the connector grants access, in its syntax (postgres: `<role>[?mode=login|credentials]`, ldap: a group DN, github: `<org>/<team>`…); never credentials. A target the connector cannot act on is refused (400, field `target`)', example: 'orders_readonly?mode=credentials' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  target!: string;

  @ApiProperty({ type: [String], description: 'identity ids; a resource without an owner is refused' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(ID_PATTERN, { each: true })
  owners!: string[];

  @ApiProperty({ type: [String], example: ['read', 'write'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(128, { each: true })
  allowedRoles!: string[];

  @ApiProperty({ minimum: 0, maximum: 4 })
  @IsInt()
  @Min(0)
  @Max(4)
  tier!: 0 | 1 | 2 | 3 | 4;

  @ApiPropertyOptional({ default: false })
  @IsOmittable()
  @IsBoolean()
  breakGlassAllowed?: boolean;

  @ApiPropertyOptional({ type: PartialTierSettingsDto, description: 'partial tier settings, the default for every group' })
  @IsOmittable()
  @IsObject()
  settings?: Record<string, unknown>;

  @ApiPropertyOptional({
    ...groupOverridesSchema,
    description: 'partial tier settings keyed by group id; the most restrictive matching one applies',
  })
  @IsOmittable()
  @IsObject()
  groupOverrides?: Record<string, Record<string, unknown>>;

  @ApiPropertyOptional({ type: [String], description: 'group ids whose members may request this resource; empty or absent means everyone' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(ID_PATTERN, { each: true })
  requestableBy?: string[];
}

export class CreateResourceDto extends ResourceBodyDto {
  @ApiProperty({ example: 'orders-db' })
  @IsString()
  @Matches(ID_PATTERN, { message: 'id must be letters, digits and . _ : @ - (at most 128)' })
  id!: string;
}
