import { formatValidationErrors, isAccessRequestEventType, upcast, validateEvent, type AccessRequestEvent } from '@kairos/contracts';

/** How the projector understood a recorded event. It never refuses one: it records what it saw. */
export type Classified =
  | { readonly status: 'recorded'; readonly event: AccessRequestEvent }
  | { readonly status: 'unknown'; readonly problem: string }
  | { readonly status: 'malformed'; readonly problem: string };

export function classifyEvent(type: string, data: unknown, metadata: unknown): Classified {
  if (!isAccessRequestEventType(type)) return { status: 'unknown', problem: `unknown event type '${type}'` };
  let current: AccessRequestEvent;
  try {
    current = upcast({ type, data, metadata: isRecord(metadata) ? (metadata as { schemaVersion?: number }) : undefined });
  } catch (error) {
    return { status: 'malformed', problem: error instanceof Error ? error.message : String(error) };
  }
  const result = validateEvent(type, current.data);
  if (!result.ok) return { status: 'malformed', problem: formatValidationErrors(result.errors) };
  return { status: 'recorded', event: current };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
