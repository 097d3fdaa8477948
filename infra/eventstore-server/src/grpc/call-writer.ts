import type { ServerWritableStream } from '@grpc/grpc-js';

type WritableCall<T> = Pick<ServerWritableStream<unknown, T>, 'write' | 'once' | 'removeListener' | 'cancelled' | 'writableEnded'>;

/** Writes one message, waiting for the transport when its buffer is full; false once the caller left. */
export async function send<T>(call: WritableCall<T>, message: T): Promise<boolean> {
  // Cancelled by the caller, or already answered (for example with UNAVAILABLE at shutdown).
  if (call.cancelled || call.writableEnded) return false;
  if (call.write(message)) return true;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      call.removeListener('drain', done);
      call.removeListener('cancelled', done);
      call.removeListener('close', done);
      call.removeListener('error', done);
      resolve();
    };
    call.once('drain', done);
    call.once('cancelled', done);
    call.once('close', done);
    call.once('error', done);
  });
  return !call.cancelled && !call.writableEnded;
}
