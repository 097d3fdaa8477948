import { Body, Controller, Headers, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@kairos/auth';
import { ProblemError } from '@kairos/http';
import { ID_PATTERN } from './resource.dto';
import { ReviewAcceptedDto, SubmitReviewDto } from './reviews.dto';
import { SubmitReview } from '../../use-cases/submit-review/submit-review';
import { assertNotifier, NOTIFIER_SUBJECTS } from './notifier-access';

export const REVIEWER_HEADER = 'x-kairos-reviewer';

/**
 * A review a person made in chat (a Slack button), relayed by the notifier after it verified the
 * chat platform's signature and mapped the chat user to this identity. Judged exactly like a review
 * through the API: the same `SubmitReview` (today's directory, `canReview` on the request's own
 * stream: self-approval, eligibility, separation of duties, inactive reviewers). The notifier's
 * token proves only who relays, never who reviews; so it is judged as the named person with no
 * token kind of their own.
 */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('v1/notifier')
export class OnBehalfReviewController {
  constructor(
    private readonly submitReview: SubmitReview,
    @Inject(NOTIFIER_SUBJECTS) private readonly notifiers: ReadonlySet<string>,
  ) {}

  @Post('access-requests/:id/reviews')
  @HttpCode(202)
  @ApiOperation({ summary: 'A review a person made in chat, relayed by the notifier (service token of the notifier only)' })
  @ApiHeader({ name: REVIEWER_HEADER, description: 'the directory identity who clicked', required: true })
  @ApiAcceptedResponse({ type: ReviewAcceptedDto })
  async review(
    @Param('id') requestId: string,
    @Body() body: SubmitReviewDto,
    @Headers(REVIEWER_HEADER) reviewer: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ReviewAcceptedDto> {
    assertNotifier(principal, this.notifiers);
    if (typeof reviewer !== 'string' || !ID_PATTERN.test(reviewer)) {
      throw new ProblemError(400, 'REVIEWER_REQUIRED', 'Bad Request', `${REVIEWER_HEADER} must name one directory identity`);
    }
    if (reviewer === principal.id) throw new ProblemError(403, 'REVIEWER_NOT_A_PERSON', 'Review refused', 'the notifier never reviews in its own name');
    return this.submitReview.execute({
      requestId,
      itemId: body.itemId,
      reviewerId: reviewer,
      decision: body.decision,
      ...(body.comment !== undefined ? { comment: body.comment } : {}),
      ...(body.shortenDurationTo !== undefined ? { shortenDurationTo: body.shortenDurationTo } : {}),
    });
  }
}
