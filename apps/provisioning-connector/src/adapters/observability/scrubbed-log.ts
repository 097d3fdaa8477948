import { JsonLogger, safeErrorMessage } from '@kairos/observability';
import type { JobLog } from '../../use-cases/run-job/ports';

/** The service's log for the consumer, the worker and the use cases they run (Nest token). */
export const PROVISIONING_LOG = Symbol('PROVISIONING_LOG');

/** Connection strings may carry credentials: every string field is scrubbed before it is logged. */
export function scrubbedLog(logger: JsonLogger): JobLog {
  const scrub = (fields?: Record<string, unknown>) =>
    fields && Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? safeErrorMessage(v) : v]));
  return {
    log: (msg: string, fields?: Record<string, unknown>) => logger.write('info', msg, scrub(fields)),
    warn: (msg: string, fields?: Record<string, unknown>) => logger.write('warn', msg, scrub(fields)),
    error: (msg: string, fields?: Record<string, unknown>) => logger.write('error', msg, scrub(fields)),
  };
}
