import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Test tools that play the attacker with write access to the local EventStoreDB server's data
 * file (`<dir>/events.log`): they change bytes and fix the frame checksum, so the server
 * itself cannot tell.
 */
const HEADER = 16;
const FRAME_HEADER = 8;

export interface Frame {
  readonly offset: number;
  readonly end: number;
  readonly stream: string;
  readonly revision: number;
  readonly id: string;
  readonly type: string;
  readonly dataStart: number;
  readonly dataEnd: number;
  readonly idStart: number;
}

export function readFrames(log: Buffer): Frame[] {
  const frames: Frame[] = [];
  let offset = HEADER;
  while (offset + FRAME_HEADER <= log.length) {
    const length = log.readUInt32LE(offset);
    const end = offset + FRAME_HEADER + length;
    let o = offset + FRAME_HEADER + 1;
    const revision = log.readDoubleLE(o);
    o += 16;
    const take = (size: 1 | 2 | 4) => {
      const n = size === 1 ? log.readUInt8(o) : size === 2 ? log.readUInt16LE(o) : log.readUInt32LE(o);
      o += size;
      const start = o;
      o += n;
      return { start, end: o };
    };
    const stream = take(2);
    const id = take(1);
    const type = take(2);
    const data = take(4);
    frames.push({
      offset,
      end,
      revision,
      stream: log.toString('utf8', stream.start, stream.end),
      id: log.toString('latin1', id.start, id.end),
      idStart: id.start,
      type: log.toString('utf8', type.start, type.end),
      dataStart: data.start,
      dataEnd: data.end,
    });
    offset = end;
  }
  return frames;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Buffer, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Recomputes a frame's checksum after its bytes were changed in place. */
export function resealFrame(log: Buffer, frame: Frame): void {
  log.writeUInt32LE(crc32(log, frame.offset + FRAME_HEADER, frame.end), frame.offset + 4);
}

export function findFrame(frames: readonly Frame[], stream: string, revision: number): Frame {
  const frame = frames.find((f) => f.stream === stream && f.revision === revision);
  if (!frame) throw new Error(`no frame for ${stream}@${revision}`);
  return frame;
}

/** The log without the given frames (each was its own write, so the rest still recovers). */
export function withoutFrames(log: Buffer, drop: readonly Frame[]): Buffer {
  const parts: Buffer[] = [log.subarray(0, HEADER)];
  let cursor = HEADER;
  for (const frame of [...drop].sort((a, b) => a.offset - b.offset)) {
    parts.push(log.subarray(cursor, frame.offset));
    cursor = frame.end;
  }
  parts.push(log.subarray(cursor));
  return Buffer.concat(parts);
}

const ROOT = resolve(__dirname, '../../../..');

export interface ServerProcess {
  readonly connectionString: string;
  stop(): Promise<void>;
}

/** The local EventStoreDB server as its own process on a data directory, as it runs in production. */
export async function startServerProcess(dataDir: string): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['tools/run-ts.js', 'infra/eventstore-server/src/main.ts', '--data', dataDir, '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const connectionString = await new Promise<string>((ok, fail) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /eventstore ready (\S+)/.exec(out);
      if (match) ok(match[1]!);
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => fail(new Error(`eventstore server exited with ${code}: ${err}`)));
  });
  return {
    connectionString,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs `npm run audit -- <args>` (the same entry point) and returns its exit code and output. */
export function runAuditCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ['tools/run-ts.js', 'apps/audit-projector/src/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => ok({ code, stdout, stderr }));
  });
}
