import type { ReviewRefusalCode } from '@kairos/approval-policy-domain';
import { assertNever } from '../read-model/request-view';

/** The HTTP status of each review refusal: who you are (403), the item's state (409), the body (400). */
export function refusalStatus(code: ReviewRefusalCode): 400 | 403 | 409 {
  switch (code) {
    case 'SELF_REVIEW':
    case 'NOT_ELIGIBLE_FOR_STEP':
    case 'NOT_RESOURCE_OWNER':
      return 403;
    case 'ALREADY_VOTED':
    case 'APPROVAL_WINDOW_CLOSED':
    case 'ITEM_NOT_REVIEWABLE':
      return 409;
    case 'DURATION_LENGTHENED':
    case 'DURATION_INVALID':
      return 400;
    default:
      return assertNever(code);
  }
}
