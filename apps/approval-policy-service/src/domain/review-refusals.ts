import type { ReviewRefusalCode } from '@kairos/access-request-domain';
import type { RefusalKind } from '@kairos/refusal';

/** The kind of each review refusal: who you are (forbidden), the item's state (not found, conflict), the body (invalid). */
export function refusalKind(code: ReviewRefusalCode): RefusalKind {
  switch (code) {
    case 'SELF_REVIEW':
    case 'OWN_ON_BEHALF_REQUEST':
    case 'REVIEWER_NOT_A_PERSON':
    case 'REVIEWER_INACTIVE':
    case 'REVIEWER_UNKNOWN':
    case 'NOT_ELIGIBLE_FOR_STEP':
    case 'NOT_RESOURCE_OWNER':
    case 'SEPARATION_OF_DUTIES':
      return 'forbidden';
    case 'ITEM_NOT_FOUND':
      return 'not_found';
    case 'ALREADY_VOTED':
    case 'APPROVAL_WINDOW_CLOSED':
    case 'ITEM_NOT_REVIEWABLE':
      return 'conflict';
    case 'DURATION_LENGTHENED':
    case 'DURATION_INVALID':
      return 'invalid';
  }
}
