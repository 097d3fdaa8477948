import type { Infer } from './json-schema';
import type { APPROVAL_MODES, approvalStepSnapshotSchema, grantTargetSchema, itemPolicySnapshotSchema } from './policy-snapshot.schema';
/**
 * The policy in force when a request was submitted, resolved for one item and recorded on the
 * request's stream inside `AccessRequested`. Later policy changes never rewrite it; the request
 * decider counts reviews against it and auditors read it to see why an item needed what it needed.
 *
 * Approver sets are resolved to identity ids at submission (the manager, the owners, the members of
 * a group), so replaying the stream never depends on today's directory. The types are inferred from
 * the schemas in `policy-snapshot.schema.ts`, where each field is described: one definition.
 */
export type ApprovalMode = (typeof APPROVAL_MODES)[number];
export type GrantTarget = Infer<typeof grantTargetSchema>;
export type ApprovalStepSnapshot = Infer<typeof approvalStepSnapshotSchema>;
export type ItemPolicySnapshot = Infer<typeof itemPolicySnapshotSchema>;
