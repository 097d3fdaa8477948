import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Kafka, type Admin } from 'kafkajs';
import type { KafkaConnection, MessageKeys } from '@kairos/config';
import { ReadinessRegistry } from '@kairos/http';
import { bindMessageAuthentication, messageAuthentication, type MessageAuthentication } from './authentication';
import { bindReadiness } from './readiness';
import { createKafkaClient } from './kafka-client';

export interface KafkaOptions {
  /** Plaintext bootstrap servers; `connection` instead for TLS, SASL and a topic prefix. */
  readonly brokers?: readonly string[];
  /** `kafkaConnection(config)`: brokers, TLS, SASL and the topic / group prefix. */
  readonly connection?: KafkaConnection;
  readonly clientId: string;
  /** The service's signing key and the producers' keys it trusts (`messageKeys(config)`). */
  readonly keys: MessageKeys;
}

export const KAFKA_ADMIN = Symbol('KAFKA_ADMIN');
export const MESSAGE_AUTHENTICATION = Symbol('MESSAGE_AUTHENTICATION');

/**
 * One kafkajs client per service process, with its reachability as a readiness probe. The client
 * carries the service's message keys: every publisher signs and every consumer verifies with them.
 */
@Global()
@Module({})
export class KafkaModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(KAFKA_ADMIN) private readonly admin: Admin,
    private readonly readiness: ReadinessRegistry,
    @Inject(Kafka) kafka: Kafka,
  ) {
    // Each consumer of this service registers its own readiness (joined and consuming) here.
    bindReadiness(kafka, readiness);
  }

  static forRoot(options: KafkaOptions): DynamicModule {
    const kafka = createKafkaClient(options.clientId, options.connection ?? { brokers: options.brokers ?? [], topicPrefix: '' });
    const authentication: MessageAuthentication = messageAuthentication(options.keys);
    bindMessageAuthentication(kafka, authentication);
    return {
      module: KafkaModule,
      providers: [
        { provide: Kafka, useValue: kafka },
        { provide: KAFKA_ADMIN, useValue: kafka.admin() },
        { provide: MESSAGE_AUTHENTICATION, useValue: authentication },
      ],
      exports: [Kafka, KAFKA_ADMIN, MESSAGE_AUTHENTICATION],
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
