import { Socket, connect } from 'node:net';
import { crc32c } from '../src/protocol/crc32c';
import { Reader, Writer } from '../src/protocol/encoding';

/** A bare-bones Kafka client for sending exactly the bytes a test wants. */
export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiters: Array<(frame: Buffer) => void> = [];
  private correlation = 1;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        this.waiters.shift()?.(frame);
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connect(port, 'localhost');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  nextFrame(): Promise<Buffer> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async request(apiKey: number, version: number, body: Writer): Promise<Reader> {
    const correlationId = this.correlation++;
    const payload = new Writer().int16(apiKey).int16(version).int32(correlationId).string('raw').raw(body.toBuffer()).toBuffer();
    const response = this.nextFrame();
    this.socket.write(Buffer.concat([new Writer().int32(payload.length).toBuffer(), payload]));
    const r = new Reader(await response);
    expect(r.int32()).toBe(correlationId);
    return r;
  }

  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }
}

function varint(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z & 0x7f) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return Buffer.from(out);
}

export function recordBatch(opts: {
  values: Array<string | null>;
  keys?: Array<string | null>;
  producerId?: number;
  epoch?: number;
  baseSequence?: number;
  timestamp?: number;
}): Buffer {
  const ts = opts.timestamp ?? Date.now();
  const field = (s: string | null | undefined) => (s === null || s === undefined ? [varint(-1)] : [varint(Buffer.byteLength(s)), Buffer.from(s)]);
  const records = opts.values.map((value, i) => {
    const body = Buffer.concat([Buffer.from([0]), varint(0), varint(i), ...field(opts.keys?.[i]), ...field(value), varint(0)]);
    return Buffer.concat([varint(body.length), body]);
  });
  const tail = new Writer()
    .int16(0)
    .int32(opts.values.length - 1)
    .int64(ts)
    .int64(ts)
    .int64(opts.producerId ?? -1)
    .int16(opts.epoch ?? 0)
    .int32(opts.baseSequence ?? 0)
    .int32(opts.values.length)
    .raw(Buffer.concat(records))
    .toBuffer();
  const head = new Writer().int64(0).int32(tail.length + 9).int32(0).int8(2).toBuffer();
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32c(tail));
  return Buffer.concat([head, crc, tail]);
}

export function produceBody(topic: string, partition: number, batch: Buffer, acks = -1): Writer {
  return new Writer()
    .string(null)
    .int16(acks)
    .int32(5000)
    .array([topic], (w, t) => w.string(t).array([partition], (w, p) => w.int32(p).bytes(batch)));
}

export function readProduceResponse(r: Reader): { error: number; baseOffset: number } {
  r.int32();
  r.string();
  r.int32();
  r.int32();
  return { error: r.int16(), baseOffset: r.int64() };
}
