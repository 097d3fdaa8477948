import { Gauge, type Registry } from 'prom-client';
import type { ConnectorName } from '@kairos/contracts';
import type { HealthGauges } from '../../use-cases/probe-connectors/connector-health-monitor';

/** The connector health gauges on the service's /metrics. */
export class ConnectorGauges implements HealthGauges {
  private readonly upGauge: Gauge<'connector' | 'configured'>;
  private readonly lastProbe: Gauge<'connector'>;

  constructor(registry: Registry) {
    this.upGauge = new Gauge({
      name: 'kairos_connector_up',
      help: 'Whether the last probe of a connector reached its target (1) or not (0); manual is always 1',
      labelNames: ['connector', 'configured'],
      registers: [registry],
    });
    this.lastProbe = new Gauge({
      name: 'kairos_connector_last_probe_seconds',
      help: 'Unix time of the last probe of a connector',
      labelNames: ['connector'],
      registers: [registry],
    });
  }

  up(connector: ConnectorName, configured: boolean, up: boolean): void {
    this.upGauge.set({ connector, configured: String(configured) }, up ? 1 : 0);
  }

  probedAt(connector: ConnectorName, at: Date): void {
    this.lastProbe.set({ connector }, Math.floor(at.getTime() / 1000));
  }
}
