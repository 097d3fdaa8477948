import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export class SubmitReviewDto {
  @ApiProperty({ example: 'item-1' })
  @IsString()
  @IsNotEmpty()
  itemId!: string;

  @ApiProperty({ enum: ['approve', 'deny'] })
  @IsIn(['approve', 'deny'])
  decision!: 'approve' | 'deny';

  @ApiPropertyOptional({ description: 'kept on the request stream as audit evidence' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  comment?: string;

  @ApiPropertyOptional({ description: 'ISO 8601 duration; an approver may shorten the access, never lengthen it', example: 'PT1H' })
  @IsOptional()
  @IsString()
  shortenDurationTo?: string;
}

export class ReviewAcceptedDto {
  @ApiProperty() reviewId!: string;
  @ApiProperty() submittedAt!: string;
}
