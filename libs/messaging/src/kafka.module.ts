import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ReadinessRegistry } from '@kairos/http';

export interface KafkaOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
}

export const KAFKA_ADMIN = Symbol('KAFKA_ADMIN');

/** One kafkajs client per service process, with its reachability as a readiness probe. */
@Global()
@Module({})
export class KafkaModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(KAFKA_ADMIN) private readonly admin: Admin,
    private readonly readiness: ReadinessRegistry,
  ) {}

  static forRoot(options: KafkaOptions): DynamicModule {
    const kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 8, initialRetryTime: 200 },
    });
    return {
      module: KafkaModule,
      providers: [
        { provide: Kafka, useValue: kafka },
        { provide: KAFKA_ADMIN, useValue: kafka.admin() },
      ],
      exports: [Kafka, KAFKA_ADMIN],
    };
  }

  onModuleInit(): void {
    this.readiness.register('kafka', async () => {
      await this.admin.connect();
      await this.admin.describeCluster();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin.disconnect();
  }
}
