import type { Principal } from '@kairos/auth';
import { refuse } from '@kairos/refusal';

export const NOTIFIER_SUBJECTS = Symbol('NOTIFIER_SUBJECTS');

/**
 * Only a service token whose subject the operator named in NOTIFIER_SUBJECTS may read contacts or
 * relay a person's review (ADR 0016). A person's token never does, whatever its roles: a person
 * reviews in their own name through /v1/access-requests/:id/reviews.
 */
export function assertNotifier(principal: Principal, subjects: ReadonlySet<string>): void {
  if (principal.kind !== 'service' || !subjects.has(principal.id)) {
    throw refuse.forbidden('NOT_THE_NOTIFIER', 'only the notifier service may call this operation');
  }
}
