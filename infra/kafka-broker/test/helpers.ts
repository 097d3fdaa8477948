import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaBroker } from '../src';
import type { BrokerOptions, RunningBroker } from '../src/server/broker';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `kafka-broker-${prefix}-`));
}

export async function startTestBroker(opts: BrokerOptions = {}): Promise<RunningBroker & { dataDir: string }> {
  const dataDir = opts.dataDir ?? tempDir('data');
  const broker = await startKafkaBroker({ port: 0, dataDir, ...opts });
  return { ...broker, dataDir };
}

export function kafkaClient(brokers: string[], clientId = 'test'): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}

export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

let topicCounter = 0;
export function uniqueTopic(prefix = 'topic'): string {
  return `${prefix}-${process.pid}-${Date.now()}-${topicCounter++}`;
}
