// A process as a service runs it: tracing set up from its own environment (the standard OTEL_*
// variables), one span, then a flush on the way out. Prints the span's trace id.
import { flushTracing, startTracing, tracingSettings, withSpan } from '../src/tracing';

async function main(): Promise<void> {
  const { settings, problems } = tracingSettings('approval-policy-service');
  if (!settings) throw new Error(problems.join('; '));
  startTracing(settings);
  const traceId = await withSpan('policy evaluation', { attributes: { 'kairos.items': 2 } }, (span) => span.spanContext().traceId);
  await flushTracing();
  process.stdout.write(`${traceId}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
