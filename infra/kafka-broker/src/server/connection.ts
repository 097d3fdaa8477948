import { Socket } from 'node:net';
import { API_BY_KEY, API_VERSIONS_KEY, APIS } from '../protocol/apis';
import { apiVersionsBody } from '../protocol/apis/api-versions';
import { ProtocolError, Reader, Writer } from '../protocol/encoding';
import { ErrorCode } from '../protocol/errors';
import { BrokerContext, RequestHeader, Session } from './context';

const MAX_FRAME_BYTES = 100 * 1024 * 1024;
const PRODUCE_KEY = 0;
/** What a client may send before SASL authentication completes (Kafka closes the connection on anything else). */
const BEFORE_AUTH = new Set([18, 17, 36]);
const ANONYMOUS = 'User:ANONYMOUS';

interface InFlight {
  pipelinable: boolean;
  done: boolean;
  response: Buffer | null | 'close';
}

/** One client connection: responses leave in request order even when a request is parked (long-poll, join). */
export class Connection {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly queue: Buffer[] = [];
  private readonly inFlight: InFlight[] = [];
  private closed = false;
  private readonly clientHost: string;
  private readonly session: Session;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: BrokerContext,
    principal: string = ANONYMOUS,
  ) {
    this.clientHost = `/${socket.remoteAddress ?? 'unknown'}`.replace('::ffff:', '');
    this.session = {
      principal,
      host: this.clientHost.slice(1),
      authenticated: ctx.sasl === null,
      exchange: null,
      rawSasl: false,
      closeAfterResponse: false,
    };
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => {
      this.closed = true;
    });
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < 4) return;
    let buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    let at = 0;
    while (buf.length - at >= 4) {
      const size = buf.readInt32BE(at);
      // Raw SASL tokens (after a v0 SaslHandshake) carry no request header and may be short.
      if (size < (this.session.rawSasl ? 0 : 8) || size > MAX_FRAME_BYTES) return this.close();
      if (buf.length - at - 4 < size) break;
      this.queue.push(buf.subarray(at + 4, at + 4 + size));
      at += 4 + size;
    }
    buf = buf.subarray(at);
    this.pending = buf.length ? [buf] : [];
    this.pendingBytes = buf.length;
    this.drain();
  }

  /**
   * Starts queued requests in order. Produce requests may overlap each other (their appends
   * still happen in arrival order, only the fsync wait overlaps, which lets one fsync cover
   * many pipelined batches); anything else waits until everything before it has answered.
   */
  private drain(): void {
    while (!this.closed && this.queue.length > 0) {
      const pipelinable = !this.session.rawSasl && this.queue[0].length >= 2 && this.queue[0].readInt16BE(0) === PRODUCE_KEY;
      if (this.inFlight.length > 0 && !(pipelinable && this.inFlight.every((f) => f.pipelinable))) return;
      const frame = this.queue.shift() as Buffer;
      const entry: InFlight = { pipelinable, done: false, response: null };
      this.inFlight.push(entry);
      void this.handle(frame).then((response) => {
        entry.done = true;
        entry.response = response;
        this.writeCompleted();
      });
    }
  }

  private writeCompleted(): void {
    while (this.inFlight.length > 0 && this.inFlight[0].done) {
      const { response } = this.inFlight.shift() as InFlight;
      if (response === 'close') return this.close();
      if (response && !this.closed) this.socket.write(response);
      if (this.session.closeAfterResponse) {
        this.closed = true;
        this.queue.length = 0;
        this.socket.end();
        return;
      }
    }
    this.drain();
  }

  /** SaslHandshake v0 framing: each frame is a bare token and each answer a bare size-prefixed token. */
  private rawSaslStep(token: Buffer): Buffer | 'close' {
    const exchange = this.session.exchange;
    if (!exchange) return 'close';
    const step = exchange.step(Buffer.from(token));
    if (step.kind === 'failed') return 'close';
    if (step.kind === 'done') {
      this.session.exchange = null;
      this.session.rawSasl = false;
      this.session.authenticated = true;
      this.session.principal = `User:${step.user}`;
    }
    const out = Buffer.allocUnsafe(4 + step.bytes.length);
    out.writeInt32BE(step.bytes.length, 0);
    step.bytes.copy(out, 4);
    return out;
  }

  private async handle(frame: Buffer): Promise<Buffer | null | 'close'> {
    if (this.session.rawSasl) return this.rawSaslStep(frame);
    const r = new Reader(frame);
    let header: RequestHeader;
    try {
      const apiKey = r.int16();
      const apiVersion = r.int16();
      const correlationId = r.int32();
      header = { apiKey, apiVersion, correlationId, clientId: '', clientHost: this.clientHost, session: this.session };
      if (!this.session.authenticated && !BEFORE_AUTH.has(apiKey)) return 'close';
      const api = API_BY_KEY.get(apiKey);
      if (apiKey === API_VERSIONS_KEY && api && apiVersion > api.maxVersion) {
        // Newer clients probe with a flexible version first; Kafka answers in v0 form so they can step down.
        return frameResponse(correlationId, apiVersionsBody(APIS, 0, ErrorCode.UNSUPPORTED_VERSION));
      }
      if (!api || apiVersion < api.minVersion || apiVersion > api.maxVersion) return 'close';
      header.clientId = r.string();
      const body = await api.handle(this.ctx, header, r);
      return body === null ? null : frameResponse(correlationId, body);
    } catch (err) {
      if (!(err instanceof ProtocolError) && !(err instanceof RangeError)) {
        process.emitWarning(`kafka-broker: request failed: ${String(err)}`);
      }
      return 'close';
    }
  }
}

function frameResponse(correlationId: number, body: Writer): Buffer {
  const payload = body.toBuffer();
  const out = Buffer.allocUnsafe(8 + payload.length);
  out.writeInt32BE(4 + payload.length, 0);
  out.writeInt32BE(correlationId, 4);
  payload.copy(out, 8);
  return out;
}
