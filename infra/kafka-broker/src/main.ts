import * as fs from 'node:fs';
import * as path from 'node:path';
import { startKafkaBroker, BrokerOptions, SecurityOptions } from './server/broker';

interface SecurityFile {
  tls?: { certFile: string; keyFile: string; caFile?: string; requireClientCert?: boolean };
  sasl?: SecurityOptions['sasl'];
  authorizer?: SecurityOptions['authorizer'];
}

/**
 * --security <file.json>: TLS key material by path, SASL users and the authorizer. The file holds
 * passwords, so its contents are never printed; only its shape is checked here.
 */
function readSecurity(file: string): SecurityOptions {
  let raw: SecurityFile;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8')) as SecurityFile;
  } catch (err) {
    // Node's JSON errors quote the text around the fault, which may be a password: say only where.
    const at = /position (\d+)/.exec(String(err))?.[1];
    throw new Error(`${file} is not valid JSON${at ? ` (at character ${at})` : ''}`);
  }
  const base = path.dirname(path.resolve(file));
  const read = (p: string) => fs.readFileSync(path.resolve(base, p), 'utf8');
  const out: SecurityOptions = {};
  if (raw.tls) {
    if (!raw.tls.certFile || !raw.tls.keyFile) throw new Error(`${file}: tls needs certFile and keyFile`);
    out.tls = { cert: read(raw.tls.certFile), key: read(raw.tls.keyFile), ca: raw.tls.caFile ? read(raw.tls.caFile) : undefined, requireClientCert: raw.tls.requireClientCert };
  }
  if (raw.sasl) {
    if (!Array.isArray(raw.sasl.users)) throw new Error(`${file}: sasl.users must be a list of { name, password }`);
    out.sasl = raw.sasl;
  }
  if (raw.authorizer) out.authorizer = raw.authorizer;
  return out;
}

function parseArgs(argv: string[]): BrokerOptions {
  const opts: BrokerOptions = { port: 9092 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--port':
        opts.port = Number(value());
        break;
      case '--host':
        opts.host = value();
        break;
      case '--data':
        opts.dataDir = value();
        break;
      case '--memory':
        opts.memory = true;
        break;
      case '--partitions':
        opts.numPartitions = Number(value());
        break;
      case '--no-auto-create':
        opts.autoCreateTopics = false;
        break;
      case '--retention-bytes':
        opts.retention = { ...opts.retention, bytes: Number(value()) };
        break;
      case '--retention-ms':
        opts.retention = { ...opts.retention, ms: Number(value()) };
        break;
      case '--message-max-bytes':
        opts.messageMaxBytes = Number(value());
        break;
      case '--retention-check-ms':
        opts.retentionCheckMs = Number(value());
        break;
      case '--security':
        opts.security = readSecurity(value());
        break;
      case '--rebalance-delay-ms':
        opts.initialRebalanceDelayMs = Number(value());
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  if (!opts.memory && !opts.dataDir) throw new Error('pass --data <dir> or --memory');
  return opts;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const broker = await startKafkaBroker(opts);
  const protocol = `${opts.security?.sasl ? 'SASL_' : ''}${opts.security?.tls ? 'SSL' : 'PLAINTEXT'}`;
  process.stdout.write(`kafka-broker ready on ${broker.brokers[0]} (${protocol}${opts.security?.authorizer ? ', ACLs' : ''})\n`);
  const stop = () => {
    broker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`kafka-broker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
