import type { Clock } from '@kairos/clock';
import { Refusal } from '@kairos/refusal';
import { DirectoryUnavailableError, type Directory } from '../../domain/directory';
import type { NotifierLog } from '../../domain/ports';
import { APPROVE_ACTION, DENY_ACTION, verifySlackSignature } from '../../domain/slack-interaction';

/** Slack's interactivity callback as it arrived: the raw form body (signed) and the signature headers. */
export interface SlackInteraction {
  readonly body: Buffer;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

/** Slack's answer format for an interaction: a message only the clicking person sees. */
export interface SlackAnswer {
  readonly response_type: 'ephemeral';
  readonly replace_original: false;
  readonly text: string;
}

interface BlockAction {
  type?: unknown;
  user?: { id?: unknown };
  actions?: { action_id?: unknown; value?: unknown }[];
}

const unauthenticated = (reason: string) => new Refusal('unauthenticated', 'SLACK_SIGNATURE_INVALID', reason);
const bad = (detail: string) => new Refusal('invalid', 'SLACK_PAYLOAD_INVALID', detail);
const answer = (text: string): SlackAnswer => ({ response_type: 'ephemeral', replace_original: false, text });

/**
 * An Approve or Deny click in Slack. Authenticated by Slack's request signature, not a bearer
 * token; the clicking Slack user is mapped to exactly one active directory identity, and the review
 * is relayed to the approval-policy service, which judges it as that person with the same rules as
 * the API (ADR 0017).
 */
export class HandleSlackInteraction {
  constructor(
    private readonly directory: Directory,
    private readonly signingSecret: () => string,
    private readonly clock: Clock,
    private readonly log: NotifierLog,
  ) {}

  async run(interaction: SlackInteraction): Promise<SlackAnswer> {
    const { body, timestamp, signature } = interaction;
    const verified = verifySlackSignature(this.signingSecret(), { timestamp, signature }, body, Math.floor(this.clock.now().getTime() / 1000));
    if (!verified.ok) {
      this.log.warn('security alarm', { alarm: 'slack_signature', reason: verified.reason });
      throw unauthenticated(verified.reason);
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
        this.log.warn('slack click by an unlinked user', { slackUserId });
        return answer('Your Slack account is not linked to a Kairos identity; review in the console.');
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
        this.log.info('slack review relayed', { requestId: target.requestId, itemId: target.itemId, reviewerId: reviewer, decision });
        return answer(`${decision === 'approve' ? 'Approved' : 'Denied'}: your review of ${target.itemId} was recorded.`);
      }
      this.log.info('slack review refused', { requestId: target.requestId, itemId: target.itemId, reviewerId: reviewer, code: result.code });
      return answer(`Refused (${result.code}): ${result.detail}`);
    } catch (error) {
      if (error instanceof DirectoryUnavailableError) throw new Refusal('unavailable', 'DEPENDENCY_UNAVAILABLE', 'the approval-policy service is not reachable; try again');
      throw error;
    }
  }
}
