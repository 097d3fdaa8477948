import { isAccessRequestError, type AccessRequestErrorCode } from '@kairos/access-request-domain';
import { ConcurrencyRetriesExhaustedError } from '@kairos/event-store';
import { ProblemError, type ProblemMapper } from '@kairos/http';

const statusOf: Record<AccessRequestErrorCode, number> = {
  'ACCESS_REQUEST.ALREADY_EXISTS': 409,
  'ACCESS_REQUEST.NOT_FOUND': 404,
  'ACCESS_REQUEST.ITEM_NOT_FOUND': 404,
  'ACCESS_REQUEST.INVALID_REQUEST': 400,
  'ACCESS_REQUEST.INVALID_DURATION': 400,
  'ACCESS_REQUEST.DURATION_EXCEEDED': 422,
  'ACCESS_REQUEST.DURATION_LENGTHENED': 400,
  'ACCESS_REQUEST.JUSTIFICATION_REQUIRED': 422,
  'ACCESS_REQUEST.BREAK_GLASS_NOT_ALLOWED': 422,
  'ACCESS_REQUEST.FORBIDDEN': 403,
  'ACCESS_REQUEST.NOT_PENDING': 409,
  'ACCESS_REQUEST.NOT_ACTIVE': 409,
  'ACCESS_REQUEST.SELF_REVIEW': 403,
  'ACCESS_REQUEST.NOT_ELIGIBLE': 403,
  'ACCESS_REQUEST.SEPARATION_OF_DUTIES': 403,
  'ACCESS_REQUEST.OWN_ON_BEHALF_REQUEST': 403,
  'ACCESS_REQUEST.ALREADY_REVIEWED': 409,
  'ACCESS_REQUEST.APPROVAL_WINDOW_CLOSED': 409,
  'ACCESS_REQUEST.EXTENSION_PENDING': 409,
  'ACCESS_REQUEST.INVALID_EXTENSION': 400,
  'ACCESS_REQUEST.NOT_EXTENDABLE': 409,
};

const titles: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Content' };

/** The decider's typed errors become problem+json here, and only here. */
export const accessRequestProblems: ProblemMapper = (error) => {
  if (isAccessRequestError(error)) {
    const status = statusOf[error.code] ?? 400;
    return new ProblemError(status, error.code, titles[status] ?? 'Error', error.message, error.details ? { details: error.details } : {});
  }
  if (error instanceof ConcurrencyRetriesExhaustedError) {
    return new ProblemError(409, error.code, 'Conflict', 'the request kept changing under concurrent updates; try again');
  }
  return undefined;
};
