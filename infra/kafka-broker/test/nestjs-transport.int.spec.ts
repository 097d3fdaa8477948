import 'reflect-metadata';
import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientKafka, EventPattern, MessagePattern, MicroserviceOptions, Payload, Transport } from '@nestjs/microservices';
import { logLevel } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { eventually, startTestBroker } from './helpers';

const received: unknown[] = [];

@Controller()
class OrdersController {
  @EventPattern('orders.created')
  onCreated(@Payload() order: unknown): void {
    received.push(order);
  }

  @MessagePattern('orders.sum')
  sum(@Payload() numbers: number[]): { total: number } {
    return { total: numbers.reduce((a, b) => a + b, 0) };
  }
}

@Module({ controllers: [OrdersController] })
class OrdersModule {}

describe('the NestJS Kafka transport', () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let app: INestMicroservice;
  let client: ClientKafka;

  beforeAll(async () => {
    broker = await startTestBroker({ numPartitions: 2 });
    const kafka = { brokers: broker.brokers, logLevel: logLevel.NOTHING };
    app = await NestFactory.createMicroservice<MicroserviceOptions>(OrdersModule, {
      logger: false,
      transport: Transport.KAFKA,
      options: { client: { ...kafka, clientId: 'orders' }, consumer: { groupId: 'orders', maxWaitTimeInMs: 100 }, subscribe: { fromBeginning: true } },
    });
    await app.listen();
    client = new ClientKafka({ client: { ...kafka, clientId: 'caller' }, consumer: { groupId: 'caller', maxWaitTimeInMs: 100 } });
    client.subscribeToResponseOf('orders.sum');
    await client.connect();
  });

  afterAll(async () => {
    await client.close();
    await app.close();
    await broker.close();
  });

  it('delivers an event emitted by ClientKafka to a ServerKafka handler', async () => {
    await lastValueFrom(client.emit('orders.created', { key: 'order-1', value: { id: 'order-1', total: 42 } }));
    await eventually(() => received.length === 1, 30_000, 'the event');
    expect(received[0]).toEqual({ id: 'order-1', total: 42 });
  });

  it('answers a request through the reply topic', async () => {
    await expect(lastValueFrom(client.send('orders.sum', [1, 2, 3]))).resolves.toEqual({ total: 6 });
  });
});
