import { Global, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EventStoreDBClient, START, FORWARDS } from '@eventstore/db-client';
import { ReadinessRegistry } from '@kairos/http';

/** One EventStoreDB client per service process, with its reachability as a readiness probe. */
@Global()
@Module({})
export class EventStoreModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly readiness: ReadinessRegistry,
  ) {}

  static forRoot(options: { connectionString: string }): DynamicModule {
    return {
      module: EventStoreModule,
      providers: [{ provide: EventStoreDBClient, useValue: EventStoreDBClient.connectionString(options.connectionString) }],
      exports: [EventStoreDBClient],
    };
  }

  onModuleInit(): void {
    this.readiness.register('eventstore', async () => {
      for await (const _ of this.client.readAll({ fromPosition: START, direction: FORWARDS, maxCount: 1 })) break;
    });
  }

  async onApplicationShutdown(): Promise<void> {
    // dispose() waits for every open call to finish; a call the server is slow to end must not
    // stall a SIGTERM (the orchestrator would SIGKILL us anyway).
    await Promise.race([this.client.dispose(), new Promise((r) => setTimeout(r, 3_000).unref())]);
  }
}
