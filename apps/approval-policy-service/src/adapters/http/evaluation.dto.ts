import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsNotEmpty, IsObject, IsString, MaxLength, ValidateNested } from 'class-validator';
import { IsOmittable } from '@kairos/http';
import { itemPolicySnapshotSchema } from '@kairos/contracts';

export class SubjectDto {
  @ApiProperty({ example: 'alice' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  id!: string;

  @ApiProperty({ enum: ['person', 'service'] })
  @IsIn(['person', 'service'])
  kind!: 'person' | 'service';
}

export class EvaluationItemDto {
  @ApiProperty({ example: 'item-1' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  itemId!: string;

  @ApiProperty({ example: 'orders-db' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  resourceId!: string;

  @ApiProperty({ example: 'read' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  role!: string;
}

export class EvaluationRequestDto {
  @ApiProperty({ type: SubjectDto })
  @IsObject()
  @ValidateNested()
  @Type(() => SubjectDto)
  requester!: SubjectDto;

  @ApiProperty({ type: [EvaluationItemDto] })
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => EvaluationItemDto)
  items!: EvaluationItemDto[];

  @ApiPropertyOptional({ description: 'ISO 8601 duration; the tier default when absent', example: 'PT2H' })
  @IsOmittable()
  @IsString()
  @MaxLength(64)
  duration?: string;

  @ApiProperty({ example: 'INC-42: investigate slow checkout' })
  @IsString()
  @MaxLength(2000)
  justification!: string;

  @ApiProperty()
  @IsBoolean()
  breakGlass!: boolean;
}

export class EvaluatedItemDto {
  @ApiProperty() itemId!: string;
  @ApiProperty({ description: 'the access duration granted for this item' }) duration!: string;
  @ApiProperty({ ...(itemPolicySnapshotSchema as object), description: 'ItemPolicySnapshot of @kairos/contracts, recorded in AccessRequested' })
  policy!: object;
}

export class EvaluatedRequesterDto {
  @ApiProperty({ example: 'alice' }) id!: string;
  @ApiProperty({ enum: ['person', 'service'] }) kind!: 'person' | 'service';
  @ApiProperty({ type: [String], description: "the requester's directory groups now, recorded with the request as a snapshot" })
  groups!: string[];
}

export class EvaluationResponseDto {
  @ApiProperty({ type: EvaluatedRequesterDto }) requester!: EvaluatedRequesterDto;
  @ApiProperty({ type: [EvaluatedItemDto] }) items!: EvaluatedItemDto[];
}
