import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, BatchSpanProcessor, ConsoleSpanExporter, ParentBasedSampler, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * Traces (ADR 0027): W3C trace context carried over every hop — HTTP in and out, EventStoreDB event
 * metadata, Kafka headers — with one span per hop. Ids are always made (they go into logs and
 * onward); spans leave the process only when an exporter is configured.
 */
export { SpanKind, SpanStatusCode, type Span, type Context };

export const TRACEPARENT_HEADER = 'traceparent';
const TRACER_NAME = 'kairos';
// Explicit, not the global propagator: inject and extract mean W3C trace context whether or not an
// SDK was registered in this process.
const w3c = new W3CTraceContextPropagator();

export type TracesExporter = 'otlp' | 'console' | 'none';

export interface TracingSettings {
  /** False when OTEL_SDK_DISABLED=true: no SDK at all, only incoming context passed on unchanged. */
  readonly enabled: boolean;
  readonly exporter: TracesExporter;
  readonly serviceName: string;
  /** The OTLP traces URL when one is configured (else the exporter's default, localhost:4318). */
  readonly otlpTracesUrl?: string;
}

/**
 * Reads the standard OpenTelemetry variables. Export is off unless asked for: OTEL_TRACES_EXPORTER
 * (otlp, console or none; unset means otlp when an OTLP endpoint is set, otherwise none). The OTLP
 * exporter itself reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS and _TIMEOUT; the SDK reads
 * OTEL_TRACES_SAMPLER(_ARG). Returns the problems instead of throwing, for the service's config check.
 */
export function tracingSettings(service: string, env: NodeJS.ProcessEnv = process.env): { settings?: TracingSettings; problems: string[] } {
  const problems: string[] = [];
  const disabled = (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase();
  if (disabled !== '' && disabled !== 'true' && disabled !== 'false') problems.push(`OTEL_SDK_DISABLED: must be true or false, got "${disabled.slice(0, 40)}"`);
  const named = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  const tracesEndpoint = (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? '').trim();
  const baseEndpoint = (env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').trim();
  const endpoint = tracesEndpoint || baseEndpoint;
  // As the specification says: the signal-specific URL is used as it is, the base gets /v1/traces.
  const otlpTracesUrl = tracesEndpoint || (baseEndpoint ? `${baseEndpoint.replace(/\/+$/, '')}/v1/traces` : undefined);
  let exporter: TracesExporter = endpoint ? 'otlp' : 'none';
  if (named) {
    if (named === 'otlp' || named === 'console' || named === 'none') exporter = named;
    else problems.push(`OTEL_TRACES_EXPORTER: must be otlp, console or none, got "${named.slice(0, 40)}"`);
  }
  if (endpoint && !/^https?:\/\/[^\s]+$/i.test(endpoint)) problems.push('OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL');
  if (problems.length > 0) return { problems };
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || service;
  return { settings: { enabled: disabled !== 'true', exporter, serviceName, ...(otlpTracesUrl ? { otlpTracesUrl } : {}) }, problems };
}

export interface TracingHandle {
  readonly settings: TracingSettings;
  /** Sends the spans not yet exported (call before exit). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let active: TracingHandle | undefined;

/**
 * Registers this process's tracer provider (once: a second call returns the first handle, so
 * services started in one test process share it). `exporter` replaces the configured one (tests pass
 * an in-memory exporter; spans are then handed over as each one ends).
 */
export function startTracing(settings: TracingSettings, options: { exporter?: SpanExporter } = {}): TracingHandle {
  if (active) return active;
  if (!settings.enabled) {
    active = { settings, flush: async () => undefined, shutdown: async () => undefined };
    return active;
  }
  const processors: SpanProcessor[] = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor(options.exporter));
  // The URL from the settings (read from the env given to the service); headers and timeout from OTEL_EXPORTER_OTLP_* as the exporter reads them.
  else if (settings.exporter === 'otlp') processors.push(new BatchSpanProcessor(new OTLPTraceExporter(settings.otlpTracesUrl ? { url: settings.otlpTracesUrl } : {})));
  else if (settings.exporter === 'console') processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  const resource = resourceFromAttributes({ 'service.name': settings.serviceName }).merge(detectResources({ detectors: [envDetector] }));
  // Nothing exports (the default): spans are not recorded, only their ids made and passed on, so logs
  // still carry trace ids and the W3C context still crosses every hop, without building spans nobody
  // reads (issue 17: 5-8 % of a consumer's CPU). A sampled parent from upstream is still honoured;
  // OTEL_TRACES_SAMPLER, when set, decides as the SDK reads it. ADR 0027.
  const sampler = processors.length === 0 && !process.env.OTEL_TRACES_SAMPLER ? new ParentBasedSampler({ root: new AlwaysOffSampler() }) : undefined;
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors, ...(sampler ? { sampler } : {}) });
  provider.register({ propagator: w3c });
  active = {
    settings,
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      active = undefined;
    },
  };
  return active;
}

export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** A W3C traceparent is exactly `00-<32 hex>-<16 hex>-<2 hex>`; anything else is ignored. */
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/**
 * The context a traceparent names, on top of `base` (the root by default: a message's handler
 * never inherits whatever happened to be active). A missing, malformed or all-zero traceparent
 * yields `base` unchanged, so the next span starts a new trace.
 */
export function contextFromTraceparent(traceparent: string | undefined | null, base: Context = ROOT_CONTEXT): Context {
  if (typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent.trim())) return base;
  const extracted = w3c.extract(base, { [TRACEPARENT_HEADER]: traceparent.trim() }, { get: (carrier, key) => carrier[key], keys: (carrier) => Object.keys(carrier) });
  return trace.getSpanContext(extracted) && trace.isSpanContextValid(trace.getSpanContext(extracted)!) ? extracted : base;
}

/** The traceparent of the span active in `ctx` (the current one by default), if any. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, { set: (c, key, value) => void (c[key] = value) });
  return carrier[TRACEPARENT_HEADER];
}

/** Headers that carry the current trace to an HTTP call (empty outside a trace). */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const traceparent = traceparentOf(ctx);
  return traceparent ? { [TRACEPARENT_HEADER]: traceparent } : {};
}

/** The current trace and span ids, for log lines. */
export function currentTraceIds(): { trace_id: string; span_id: string } | undefined {
  const spanContext = trace.getSpanContext(context.active());
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** The parent; the active context by default. */
  readonly parent?: Context;
}

/**
 * Runs `fn` inside a new span made active for everything it awaits. A throw marks the span as an
 * error (the message only: never a stack, never data) and is rethrown; the span always ends.
 */
export async function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T> | T): Promise<T> {
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, options.parent ?? context.active());
  try {
    return await context.with(trace.setSpan(options.parent ?? context.active(), span), () => fn(span));
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span failed with the error's class and message (no stack, no data). */
export function markFailed(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, 500) });
  span.setAttribute('error.type', error instanceof Error ? error.name : typeof error);
}

/** Starts a span that the caller ends (for work that outlives one call: an HTTP request, a Kafka send). */
export function startSpan(name: string, options: SpanOptions = {}): Span {
  return tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, options.parent ?? context.active());
}

/** Runs `fn` with `span` active (and `base`'s other values kept). */
export function withActiveSpan<T>(span: Span, fn: () => T, base: Context = context.active()): T {
  return context.with(trace.setSpan(base, span), fn);
}

/** Sends the spans not yet exported (a no-op when tracing was not started). */
export async function flushTracing(): Promise<void> {
  await active?.flush().catch(() => undefined);
}
