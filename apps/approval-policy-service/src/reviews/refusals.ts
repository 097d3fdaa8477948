import type { ReviewRefusalCode } from '@kairos/access-request-domain';

/** The HTTP status of each review refusal: who you are (403), the item's state (404/409), the body (400). */
export function refusalStatus(code: ReviewRefusalCode): 400 | 403 | 404 | 409 {
  switch (code) {
    case 'SELF_REVIEW':
    case 'OWN_ON_BEHALF_REQUEST':
    case 'REVIEWER_NOT_A_PERSON':
    case 'REVIEWER_INACTIVE':
    case 'REVIEWER_UNKNOWN':
    case 'NOT_ELIGIBLE_FOR_STEP':
    case 'NOT_RESOURCE_OWNER':
    case 'SEPARATION_OF_DUTIES':
      return 403;
    case 'ITEM_NOT_FOUND':
      return 404;
    case 'ALREADY_VOTED':
    case 'APPROVAL_WINDOW_CLOSED':
    case 'ITEM_NOT_REVIEWABLE':
      return 409;
    case 'DURATION_LENGTHENED':
    case 'DURATION_INVALID':
      return 400;
  }
}
