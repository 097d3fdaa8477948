export const ACCESS_REQUEST_ERROR_CODES = [
  'ACCESS_REQUEST.ALREADY_EXISTS',
  'ACCESS_REQUEST.NOT_FOUND',
  'ACCESS_REQUEST.ITEM_NOT_FOUND',
  'ACCESS_REQUEST.INVALID_REQUEST',
  'ACCESS_REQUEST.INVALID_DURATION',
  'ACCESS_REQUEST.DURATION_EXCEEDED',
  'ACCESS_REQUEST.DURATION_LENGTHENED',
  'ACCESS_REQUEST.JUSTIFICATION_REQUIRED',
  'ACCESS_REQUEST.BREAK_GLASS_NOT_ALLOWED',
  'ACCESS_REQUEST.FORBIDDEN',
  'ACCESS_REQUEST.NOT_PENDING',
  'ACCESS_REQUEST.NOT_ACTIVE',
  'ACCESS_REQUEST.SELF_REVIEW',
  'ACCESS_REQUEST.NOT_ELIGIBLE',
  'ACCESS_REQUEST.SEPARATION_OF_DUTIES',
  'ACCESS_REQUEST.OWN_ON_BEHALF_REQUEST',
  'ACCESS_REQUEST.ALREADY_REVIEWED',
  'ACCESS_REQUEST.APPROVAL_WINDOW_CLOSED',
  'ACCESS_REQUEST.EXTENSION_PENDING',
  'ACCESS_REQUEST.INVALID_EXTENSION',
  'ACCESS_REQUEST.NOT_EXTENDABLE',
] as const;

export type AccessRequestErrorCode = (typeof ACCESS_REQUEST_ERROR_CODES)[number];

/**
 * A command that breaks an invariant of the request. The code is stable (the HTTP edge maps it
 * to problem+json once); the message is for people; details carry the facts that were checked.
 */
export class AccessRequestError extends Error {
  constructor(
    readonly code: AccessRequestErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'AccessRequestError';
  }
}

export const isAccessRequestError = (error: unknown): error is AccessRequestError =>
  error instanceof AccessRequestError;

export const fail = (code: AccessRequestErrorCode, message: string, details?: Record<string, unknown>): never => {
  throw new AccessRequestError(code, message, details);
};
