import { Metadata, status } from '@grpc/grpc-js';

/** A refusal that travels as a gRPC status with EventStoreDB's `exception` trailers. */
export class ProtocolError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly trailers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  toStatus(): { code: status; details: string; metadata: Metadata } {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(this.trailers)) metadata.set(key, value);
    return { code: this.code, details: this.message, metadata };
  }
}

export const invalidArgument = (message: string): ProtocolError => new ProtocolError(status.INVALID_ARGUMENT, message);

export function streamDeleted(stream: string): ProtocolError {
  return new ProtocolError(status.FAILED_PRECONDITION, `Event stream '${stream}' is deleted.`, {
    exception: 'stream-deleted',
    'stream-name': stream,
  });
}

export function maxAppendSizeExceeded(max: number): ProtocolError {
  return new ProtocolError(status.INVALID_ARGUMENT, `Maximum Append Size of ${max} Exceeded.`, {
    exception: 'maximum-append-size-exceeded',
    'maximum-append-size': String(max),
  });
}

export function missingRequiredMetadata(): ProtocolError {
  return new ProtocolError(status.INVALID_ARGUMENT, 'Missing required metadata property.', {
    exception: 'missing-required-metadata-property',
    'required-metadata-properties': 'type,content-type',
  });
}

/** Whatever went wrong inside a handler, the caller gets a status, never a dead server. */
export function toStatus(error: unknown): { code: status; details: string; metadata: Metadata } {
  if (error instanceof ProtocolError) return error.toStatus();
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'StoreUnavailableError') return new ProtocolError(status.UNAVAILABLE, message).toStatus();
  return new ProtocolError(status.INTERNAL, message).toStatus();
}
