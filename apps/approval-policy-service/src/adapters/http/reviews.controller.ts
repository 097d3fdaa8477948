import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, hasRole, Roles, type Principal } from '@kairos/auth';
import { ApiProblems, ProblemError } from '@kairos/http';
import type { InboxItem } from '../../use-cases/list-inbox/inbox-item';
import { ListInbox } from '../../use-cases/list-inbox/list-inbox';
import { ReviewAcceptedDto, SubmitReviewDto } from './reviews.dto';
import { InboxDto } from './reviews.responses';
import { SubmitReview } from '../../use-cases/submit-review/submit-review';

@ApiTags('reviews')
@ApiBearerAuth()
@Roles('approver', 'admin')
@Controller('v1')
export class ReviewsController {
  constructor(
    private readonly inbox: ListInbox,
    private readonly submitReview: SubmitReview,
  ) {}

  @Get('reviews')
  @ApiOperation({ summary: "The items awaiting the caller's review, with the context to decide" })
  @ApiQuery({ name: 'assignee', required: false, description: '`me` (default); an admin may name another identity' })
  @ApiOkResponse({ type: InboxDto })
  async list(@CurrentPrincipal() principal: Principal, @Query('assignee') assignee = 'me'): Promise<{ items: InboxItem[] }> {
    const reviewerId = assignee === 'me' ? principal.id : assignee;
    // Another person's inbox shows what they are asked to decide about others: admins only.
    if (reviewerId !== principal.id && !hasRole(principal, 'admin')) {
      throw new ProblemError(403, 'FORBIDDEN', 'Forbidden', "only an admin may read someone else's inbox");
    }
    return { items: await this.inbox.execute(reviewerId) };
  }

  @Post('access-requests/:id/reviews')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Approve or deny the current step of an item (or ratify a break-glass grant); sent to request-service as ReviewSubmitted',
  })
  @ApiAcceptedResponse({ type: ReviewAcceptedDto })
  @ApiProblems(404, 409, 422)
  async review(
    @Param('id') requestId: string,
    @Body() body: SubmitReviewDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ReviewAcceptedDto> {
    return this.submitReview.execute({
      requestId,
      itemId: body.itemId,
      reviewerId: principal.id,
      tokenKind: principal.kind,
      decision: body.decision,
      ...(body.comment !== undefined ? { comment: body.comment } : {}),
      ...(body.shortenDurationTo !== undefined ? { shortenDurationTo: body.shortenDurationTo } : {}),
    });
  }
}
