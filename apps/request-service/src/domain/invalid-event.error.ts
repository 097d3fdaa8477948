/**
 * The decider produced an event that breaks its published schema. The request streams are the
 * audit trail: such an event is refused before it is written, never found later by a consumer.
 */
export class InvalidEventError extends Error {
  constructor(type: string, problems: string) {
    super(`the decider produced an invalid ${type}: ${problems}`);
    this.name = 'InvalidEventError';
  }
}
