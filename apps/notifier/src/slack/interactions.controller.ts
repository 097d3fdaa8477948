import { Body, Controller, Headers, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SlackInteractionAnswerDto } from '../http/responses';
import { Public } from '@kairos/auth';
import { ProblemError } from '@kairos/http';
import { JsonLogger } from '@kairos/observability';
import { APPROVE_ACTION, DENY_ACTION, verifySlackSignature } from '../channels/slack';
import { DirectoryClient, DirectoryUnavailableError } from '../directory/directory-client';
import { CLOCK, type Clock } from '../shared/clock';

export const SLACK_SIGNING_SECRET = Symbol('SLACK_SIGNING_SECRET');

interface BlockAction {
  type?: unknown;
  user?: { id?: unknown };
  actions?: { action_id?: unknown; value?: unknown }[];
}

const unauthorized = (reason: string) => new ProblemError(401, 'SLACK_SIGNATURE_INVALID', 'Unauthorized', reason);
const bad = (detail: string) => new ProblemError(400, 'SLACK_PAYLOAD_INVALID', 'Bad Request', detail);

/**
 * Slack's interactivity callback: an Approve or Deny click. Authenticated by Slack's request
 * signature, not a bearer token; the clicking Slack user is mapped to exactly one active directory
 * identity, and the review is relayed to the approval-policy service, which judges it as that
 * person with the same rules as the API (ADR 0017).
 */
@ApiTags('slack')
@Controller('v1/slack')
export class SlackInteractionsController {
  constructor(
    private readonly directory: DirectoryClient,
    @Inject(SLACK_SIGNING_SECRET) private readonly secret: () => string,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly logger: JsonLogger,
  ) {}

  @Post('interactions')
  @Public()
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({ summary: "Slack's interactivity endpoint (signed by Slack): Approve / Deny buttons become the clicking person's review" })
  @ApiOkResponse({ type: SlackInteractionAnswerDto })
  async interact(
    @Body() raw: unknown,
    @Headers('x-slack-request-timestamp') timestamp: string | undefined,
    @Headers('x-slack-signature') signature: string | undefined,
  ): Promise<{ response_type: 'ephemeral'; replace_original: false; text: string }> {
    const body = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
    const verified = verifySlackSignature(this.secret(), { timestamp, signature }, body, Math.floor(this.clock.now().getTime() / 1000));
    if (!verified.ok) {
      this.logger.write('warn', 'security alarm', { alarm: 'slack_signature', reason: verified.reason });
      throw unauthorized(verified.reason);
    }
    const payloadText = new URLSearchParams(body.toString('utf8')).get('payload');
    let payload: BlockAction;
    try {
      payload = JSON.parse(payloadText ?? '') as BlockAction;
    } catch {
      throw bad('the payload field is not JSON');
    }
    const action = payload.actions?.[0];
    const slackUserId = payload.user?.id;
    if (payload.type !== 'block_actions' || !action || typeof slackUserId !== 'string') throw bad('expected a block_actions payload with one action');
    const decision = action.action_id === APPROVE_ACTION ? 'approve' : action.action_id === DENY_ACTION ? 'deny' : undefined;
    if (!decision) throw bad('unknown action');
    let target: { requestId?: unknown; itemId?: unknown };
    try {
      target = JSON.parse(String(action.value)) as typeof target;
    } catch {
      throw bad('the button value is not JSON');
    }
    if (typeof target.requestId !== 'string' || typeof target.itemId !== 'string') throw bad('the button names no request item');

    try {
      const people = (await this.directory.bySlackUser(slackUserId)).filter((contact) => contact.active && contact.kind === 'person');
      if (people.length !== 1) {
        this.logger.write('warn', 'slack click by an unlinked user', { slackUserId });
        return { response_type: 'ephemeral', replace_original: false, text: 'Your Slack account is not linked to a Kairos identity; review in the console.' };
      }
      const reviewer = people[0]!.id;
      const result = await this.directory.relayReview({
        requestId: target.requestId,
        itemId: target.itemId,
        reviewerId: reviewer,
        decision,
        comment: `${decision === 'approve' ? 'Approved' : 'Denied'} in Slack`,
      });
      if (result.ok) {
        this.logger.write('info', 'slack review relayed', { requestId: target.requestId, itemId: target.itemId, reviewerId: reviewer, decision });
        return { response_type: 'ephemeral', replace_original: false, text: `${decision === 'approve' ? 'Approved' : 'Denied'}: your review of ${target.itemId} was recorded.` };
      }
      this.logger.write('info', 'slack review refused', { requestId: target.requestId, itemId: target.itemId, reviewerId: reviewer, code: result.code });
      return { response_type: 'ephemeral', replace_original: false, text: `Refused (${result.code}): ${result.detail}` };
    } catch (error) {
      if (error instanceof DirectoryUnavailableError) throw new ProblemError(503, 'DEPENDENCY_UNAVAILABLE', 'Service Unavailable', 'the approval-policy service is not reachable; try again');
      throw error;
    }
  }
}
