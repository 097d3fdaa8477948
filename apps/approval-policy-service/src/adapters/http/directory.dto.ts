import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsIn, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { IsOmittable } from '@kairos/http';
import { ID_PATTERN } from './resource.dto';

export class IdentityBodyDto {
  @ApiProperty({ enum: ['person', 'service'] })
  @IsIn(['person', 'service'])
  kind!: 'person' | 'service';

  @ApiProperty({ example: 'Alice Smith' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  displayName!: string;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsEmail()
  email?: string;

  @ApiPropertyOptional({ description: "a person's manager (identity id)" })
  @IsOmittable()
  @Matches(ID_PATTERN)
  managerId?: string;

  @ApiPropertyOptional({ description: "a service account's responsible person; required for service accounts" })
  @IsOmittable()
  @Matches(ID_PATTERN)
  owner?: string;

  @ApiPropertyOptional({ type: [String], description: 'group ids; unknown groups are created' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(1000)
  @Matches(ID_PATTERN, { each: true })
  groups?: string[];

  @ApiPropertyOptional({ default: true })
  @IsOmittable()
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
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ type: [String], description: 'identity ids; each must exist' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(10000)
  @Matches(ID_PATTERN, { each: true })
  members?: string[];
}

export class CreateGroupDto extends GroupBodyDto {
  @ApiProperty({ example: 'sre' })
  @Matches(ID_PATTERN, { message: 'id must be letters, digits and . _ : @ - (at most 128)' })
  id!: string;
}
