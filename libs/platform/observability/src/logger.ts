import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import { currentCorrelationId } from './context';
import { currentTraceIds } from './tracing';
import { redactDeep, redactSecrets } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (line: string) => void;

/** One JSON object per line, with the service name, the current correlation id and trace ids (inside a span). */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly service: string,
    private readonly level: LogLevel = 'info',
    private readonly sink: LogSink = (line) => process.stdout.write(`${line}\n`),
  ) {}

  write(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    if (rank[level] < rank[this.level]) return;
    const correlationId = currentCorrelationId();
    const traceIds = currentTraceIds();
    this.sink(
      JSON.stringify({
        time: new Date().toISOString(),
        level,
        service: this.service,
        // Credentials never reach a log line, whatever a caller passes (see redact.ts).
        msg: redactSecrets(msg),
        ...(correlationId ? { correlationId } : {}),
        ...traceIds,
        ...redactDeep(fields),
      }),
    );
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', String(message), contextOf(rest));
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', String(message), contextOf(rest));
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', String(message), contextOf(rest));
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', String(message), contextOf(rest));
  }
  error(message: unknown, ...rest: unknown[]): void {
    const fields = contextOf(rest);
    if (message instanceof Error) this.write('error', message.message, { ...fields, stack: message.stack });
    else this.write('error', String(message), fields);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.error(message, ...rest);
  }
  setLogLevels?(_levels: NestLogLevel[]): void {}
}

function contextOf(rest: unknown[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const item of rest) {
    if (typeof item === 'string') fields.context = item;
    else if (item && typeof item === 'object') Object.assign(fields, item);
  }
  return fields;
}
