import { formatValidationErrors, isAccessRequestEventType, readRecordedEvent, validateEvent, type AccessRequestEvent } from '@kairos/contracts';

/** How the projector understood a recorded event. It never refuses one: it records what it saw. */
export type Classified =
  | { readonly status: 'recorded'; readonly event: AccessRequestEvent }
  | { readonly status: 'unknown'; readonly problem: string }
  | { readonly status: 'malformed'; readonly problem: string };

export function classifyEvent(type: string, data: unknown, metadata: unknown): Classified {
  if (!isAccessRequestEventType(type)) return { status: 'unknown', problem: `unknown event type '${type}'` };
  let current: AccessRequestEvent;
  try {
    const read = readRecordedEvent({ type, data, metadata });
    current = { type: read.type, data: read.data } as AccessRequestEvent;
  } catch (error) {
    return { status: 'malformed', problem: error instanceof Error ? error.message : String(error) };
  }
  const result = validateEvent(type, current.data);
  if (!result.ok) return { status: 'malformed', problem: formatValidationErrors(result.errors) };
  return { status: 'recorded', event: current };
}
