import { platformLayout } from '../layout';
import { startPlatform, usesMailCatcher } from './platform';

async function main(): Promise<void> {
  const layout = platformLayout();
  // `npm start -- --verbose` (or KAIROS_VERBOSE=true): every line says when it happened (seconds
  // since the launcher started), and each start-up phase says how long it took.
  const verbose = process.argv.includes('--verbose') || process.env.KAIROS_VERBOSE === 'true';
  const log = (msg: string) => process.stdout.write(verbose ? `[kairos +${process.uptime().toFixed(1)}s] ${msg}\n` : `[kairos] ${msg}\n`);
  const platform = await startPlatform(layout, log, { demoData: process.env.KAIROS_DEMO_DATA !== 'false', ...(verbose ? { onTiming: log } : {}) });
  const u = platform.urls;
  process.stdout.write(
    [
      '',
      '  Kairos is running (embedded defaults). Ctrl-C stops everything.',
      '',
      `  web console              ${u.console}   (sign in as alice, maria, bob, admin or audrey)`,
      `  request service          ${u['request-service']}        OpenAPI ${u['request-service']}/docs`,
      `  approval policy service  ${u['approval-policy-service']}        OpenAPI ${u['approval-policy-service']}/docs`,
      `  provisioning connector   ${u['provisioning-connector']}        OpenAPI ${u['provisioning-connector']}/docs`,
      `  expiry scheduler         ${u['expiry-scheduler']}        OpenAPI ${u['expiry-scheduler']}/docs`,
      `  audit projector          ${u['audit-projector']}        OpenAPI ${u['audit-projector']}/docs`,
      `  notifier                 ${u.notifier}        OpenAPI ${u.notifier}/docs`,
      ...(usesMailCatcher() ? [`  mails sent (catcher)     ${u['mail-catcher']}/   nothing is delivered; JSON at ${u['mail-catcher']}/mails`] : [`  mails sent through       ${process.env.SMTP_HOST}:${process.env.SMTP_PORT ?? '587'}`]),
      `  token issuer (OIDC)      ${u.issuer}/.well-known/openid-configuration`,
      `  EventStoreDB-compatible  ${u.eventstore}`,
      `  Kafka-compatible broker  ${u.kafka}`,
      `  PostgreSQL               ${u.postgres.replace(/:[^:@/]+@/, ':****@')}`,
      '',
      '  A token:  npm run token -- --sub alice --roles requester',
      `  Data:     ${layout.dataDir}   Logs: ${layout.dataDir}/logs`,
      '',
    ].join('\n') + '\n',
  );
  let stopping = false;
  // The ordered stop of ADR 0012 (services, then the servers, then PostgreSQL). A second Ctrl-C
  // while it runs changes nothing: every stage already escalates to SIGKILL after 10 s.
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    await platform.stop();
    log('stopped');
    process.exitCode = 0;
    // Let "stopped" reach a pipe before leaving.
    process.stdout.write('', () => process.exit(0));
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: Error) => {
  process.stderr.write(`[kairos] could not start: ${error.message}\n`);
  process.exit(1);
});
