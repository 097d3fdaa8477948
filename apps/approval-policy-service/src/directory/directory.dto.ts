import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';
import { ID_PATTERN } from '../catalogue/resource.dto';

export class IdentityBodyDto {
  @ApiProperty({ enum: ['person', 'service'] })
  @IsIn(['person', 'service'])
  kind!: 'person' | 'service';

  @ApiProperty({ example: 'Alice Smith' })
  @IsString()
  @IsNotEmpty()
  displayName!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsEmail()
  email?: string;

  @ApiPropertyOptional({ description: "a person's manager (identity id)" })
  @IsOptional()
  @Matches(ID_PATTERN)
  managerId?: string;

  @ApiPropertyOptional({ description: "a service account's responsible person; required for service accounts" })
  @IsOptional()
  @Matches(ID_PATTERN)
  owner?: string;

  @ApiPropertyOptional({ type: [String], description: 'group ids; unknown groups are created' })
  @IsOptional()
  @IsArray()
  @Matches(ID_PATTERN, { each: true })
  groups?: string[];

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class CreateIdentityDto extends IdentityBodyDto {
  @ApiProperty({ example: 'alice' })
  @Matches(ID_PATTERN, { message: 'id must be letters, digits and . _ : @ - (at most 128)' })
  id!: string;
}

export class GroupBodyDto {
  @ApiProperty({ example: 'Site reliability' })
  @IsString()
  @IsNotEmpty()
  name!: string;

  @ApiPropertyOptional({ type: [String], description: 'identity ids; each must exist' })
  @IsOptional()
  @IsArray()
  @Matches(ID_PATTERN, { each: true })
  members?: string[];
}

export class CreateGroupDto extends GroupBodyDto {
  @ApiProperty({ example: 'sre' })
  @Matches(ID_PATTERN, { message: 'id must be letters, digits and . _ : @ - (at most 128)' })
  id!: string;
}
