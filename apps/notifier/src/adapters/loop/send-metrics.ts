import { Counter } from 'prom-client';
import type { ServiceMetrics } from '@kairos/observability';
import type { DispatchHooks } from '../../use-cases/dispatch-sends/dispatch-sends';

/** Counters of sends made and dead-lettered, by channel and kind. */
export function sendMetrics(metrics: ServiceMetrics): DispatchHooks {
  const sent = new Counter({ name: 'kairos_notifications_sent_total', help: 'Notifications sent by channel and kind', labelNames: ['channel', 'kind'], registers: [metrics.registry] });
  const dead = new Counter({ name: 'kairos_notifications_dead_total', help: 'Sends dead-lettered by channel and kind', labelNames: ['channel', 'kind'], registers: [metrics.registry] });
  return { onSent: (channel, kind) => sent.inc({ channel, kind }), onDead: (channel, kind) => dead.inc({ channel, kind }) };
}
