import type { DynamicModule, INestApplication } from '@nestjs/common';
import { ConfigError, httpEdgeConfig, loadConfig, parseOrigins, type Config, type ConfigSpec } from '@kairos/config';
import { startTracing, tracingSettings, type TracingSettings } from '@kairos/observability';
import { createServiceApp, listen, type ServiceAppOptions } from './bootstrap';

export interface ServiceDefinition<S extends ConfigSpec> {
  readonly name: string;
  readonly config: S;
  readonly module: (config: Config<S>) => DynamicModule;
  readonly docs: ServiceAppOptions;
  readonly port: (config: Config<S>) => number;
  /**
   * Starts what else the service runs on its app, once the app is initialised and before it
   * listens: its Kafka inbox, e.g.
   * `(app) => startKafkaInbox(app, app.get(ServiceMessaging).runtime)`. `app.close()` stops it.
   */
  readonly beforeListen?: (app: INestApplication) => Promise<unknown>;
}

/**
 * A service's whole `main`: validate configuration (refusing to start, naming each bad variable),
 * build the app, listen, and close cleanly on SIGTERM/SIGINT.
 */
export async function runService<S extends ConfigSpec>(definition: ServiceDefinition<S>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: Config<S>;
  let corsOrigins: string[];
  let tracing: TracingSettings;
  // The OTEL_* variables are checked with the rest, so one refusal names every bad variable.
  const traced = tracingSettings(definition.name, env);
  try {
    config = loadConfig(definition.config, env);
    corsOrigins = parseOrigins(loadConfig(httpEdgeConfig, env).CORS_ORIGINS);
    if (!traced.settings) throw new ConfigError([]);
    tracing = traced.settings;
  } catch (error) {
    if (error instanceof ConfigError) {
      const problems = [...error.problems, ...traced.problems];
      process.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), level: 'error', service: definition.name, msg: 'refusing to start: invalid configuration', problems })}\n`,
      );
      process.exit(78);
    }
    throw error;
  }
  try {
    await startSignal(env);
    // Before the app is built: every span and log line of the service belongs to its provider.
    startTracing(tracing);
    const app = await createServiceApp(definition.module(config), definition.docs, { corsOrigins });
    if (definition.beforeListen) {
      // After the app's init hooks (as the test harnesses do), so what starts there finds every provider ready.
      await app.init();
      await definition.beforeListen(app);
    }
    await listen(app, definition.port(config), definition.name);
  } catch (error) {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'error', service: definition.name, msg: 'failed to start', error: error instanceof Error ? error.message : String(error) })}\n`,
    );
    process.exit(1);
  }
}

/**
 * KAIROS_START_SIGNAL=stdin (set by `npm start`, ADR 0033): the launcher spawns the service while
 * `kairos setup` still runs, so the code loads meanwhile; it connects to nothing and listens on
 * nothing until the launcher writes a line on stdin. Stdin closed without one: the launcher gave up
 * (setup failed) or went away, and the service leaves without having started.
 */
export function startSignal(env: NodeJS.ProcessEnv, input: NodeJS.ReadableStream = process.stdin): Promise<void> {
  if (env.KAIROS_START_SIGNAL !== 'stdin') return Promise.resolve();
  return new Promise((resolve) => {
    let seen = '';
    const onData = (chunk: Buffer | string) => {
      seen += chunk.toString();
      if (!seen.includes('\n')) return;
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      (input as { destroy?: () => void }).destroy?.();
      resolve();
    };
    const onEnd = () => process.exit(0);
    input.on('data', onData);
    input.once('end', onEnd);
  });
}
