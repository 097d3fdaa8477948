import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per service process, exposed at /metrics in Prometheus text format. */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly messagesHandled: Counter<'topic' | 'outcome'>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'kairos_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'kairos_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.messagesHandled = new Counter({
      name: 'kairos_messages_handled_total',
      help: 'Kafka messages handled by outcome (processed, duplicate, dead_lettered)',
      labelNames: ['topic', 'outcome'],
      registers: [this.registry],
    });
  }
}
