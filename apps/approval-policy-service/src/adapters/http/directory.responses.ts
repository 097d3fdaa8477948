import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class IdentityDto {
  @ApiProperty({ example: 'alice' }) id!: string;
  @ApiProperty({ enum: ['person', 'service'] }) kind!: 'person' | 'service';
  @ApiProperty() displayName!: string;
  @ApiPropertyOptional() email?: string;
  @ApiPropertyOptional() managerId?: string;
  @ApiProperty({ type: [String] }) groups!: string[];
  @ApiPropertyOptional({ description: "a service account's responsible person" }) owner?: string;
  @ApiProperty() active!: boolean;
}

export class IdentityListDto {
  @ApiProperty({ type: [IdentityDto] }) items!: IdentityDto[];
}

export class GroupDto {
  @ApiProperty({ example: 'sre' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) members!: string[];
}

export class GroupListDto {
  @ApiProperty({ type: [GroupDto] }) items!: GroupDto[];
}

export class DirectoryImportResultDto {
  @ApiProperty({ description: 'identities written' }) identities!: number;
  @ApiProperty({ description: 'groups written' }) groups!: number;
  @ApiProperty({ description: 'identities absent from the import, now inactive' }) deactivated!: number;
}
