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
