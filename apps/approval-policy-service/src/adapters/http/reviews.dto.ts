import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { IsOmittable } from '@kairos/http';

export class SubmitReviewDto {
  @ApiProperty({ example: 'item-1' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  itemId!: string;

  @ApiProperty({ enum: ['approve', 'deny'] })
  @IsIn(['approve', 'deny'])
  decision!: 'approve' | 'deny';

  @ApiPropertyOptional({ description: 'kept on the request stream as audit evidence' })
  @IsOmittable()
  @IsString()
  @MaxLength(2000)
  comment?: string;

  @ApiPropertyOptional({ description: 'ISO 8601 duration; an approver may shorten the access, never lengthen it', example: 'PT1H' })
  @IsOmittable()
  @IsString()
  @MaxLength(64)
  shortenDurationTo?: string;
}

export class ReviewAcceptedDto {
  @ApiProperty() reviewId!: string;
  @ApiProperty() submittedAt!: string;
}
