import { join } from 'node:path';
import { kafkaConnectionConfig, serviceConfig } from '@kairos/config';
import { setupConfig } from '../setup/main.config';
import { deployRoot, renderKustomization, type K8sObject } from './kustomize';

/**
 * deploy/k8s rendered as kustomize would (tools/deploy/kustomize.ts) and every object validated
 * against the Kubernetes JSON schemas of `kubernetes-models` (generated from the Kubernetes
 * OpenAPI) and the ServiceMonitor CRD schema of `@kubernetes-models/prometheus-operator`.
 */
const SERVICES = ['request-service', 'approval-policy-service', 'provisioning-connector', 'expiry-scheduler', 'audit-projector', 'notifier'];
const k8s = join(deployRoot, 'k8s');
const variants = { base: join(k8s, 'base'), small: join(k8s, 'overlays', 'small'), production: join(k8s, 'overlays', 'production') };

function modelFor(o: K8sObject): new (data: unknown) => { validate(): void } {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const module =
    group === 'monitoring.coreos.com' ? `@kubernetes-models/prometheus-operator/${group}/${version}/${o.kind}` : `kubernetes-models/${group ? `${group}/` : ''}${version}/${o.kind}`;
  const loaded = require(module) as Record<string, new (data: unknown) => { validate(): void }>;
  const model = loaded[o.kind];
  if (!model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  return model;
}

function validate(o: K8sObject): void {
  const Model = modelFor(o);
  new Model(structuredClone(o)).validate();
}

const find = (objects: K8sObject[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} is missing`);
  return o as K8sObject & { spec: any };
};
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.each(Object.entries(variants))('the %s Kubernetes manifests', (variant, dir) => {
  const objects = renderKustomization(dir);

  it('validate against the Kubernetes schemas (and the ServiceMonitor CRD)', () => {
    expect(objects.length).toBeGreaterThan(SERVICES.length * 4);
    for (const o of objects) {
      try {
        validate(o);
      } catch (error) {
        throw new Error(`${variant}: ${o.kind}/${o.metadata.name} does not validate: ${(error as Error).message}`);
      }
    }
  });

  it.each(SERVICES)('give %s a Deployment with probes and resources, a Service, a PodDisruptionBudget and an autoscaler that all select it', (service) => {
    const deployment = find(objects, 'Deployment', service);
    const pod = deployment.spec.template;
    expect(matches(deployment.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    const container = pod.spec.containers.find((c: { name: string }) => c.name === service);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(container.ports.map((p: { name: string }) => p.name)).toContain('http');
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits.memory).toEqual(expect.any(String));
    expect(container.env).toContainEqual({ name: 'SERVICE', value: service });
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);

    const svc = find(objects, 'Service', service);
    expect(matches(svc.spec.selector, pod.metadata.labels)).toBe(true);
    // The Service selects this service's pods and no other's.
    for (const other of SERVICES.filter((s) => s !== service)) expect(matches(svc.spec.selector, find(objects, 'Deployment', other).spec.template.metadata.labels)).toBe(false);
    expect(matches(find(objects, 'PodDisruptionBudget', service).spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    const hpa = find(objects, 'HorizontalPodAutoscaler', service);
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: service });
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    for (const ref of pod.spec.containers[0].envFrom) {
      if (ref.configMapRef) find(objects, 'ConfigMap', ref.configMapRef.name);
    }
  });

  it('run setup as a Job and scrape every service through the ServiceMonitor', () => {
    const job = find(objects, 'Job', 'kairos-setup');
    expect(job.spec.template.spec.containers[0].env).toContainEqual({ name: 'SERVICE', value: 'setup' });
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    const monitor = find(objects, 'ServiceMonitor', 'kairos');
    const scraped = objects.filter((o) => o.kind === 'Service' && matches(monitor.spec.selector.matchLabels, o.metadata.labels));
    expect(scraped.map((s) => s.metadata.name).sort()).toEqual([...SERVICES].sort());
    for (const s of scraped as (K8sObject & { spec: { ports: { name: string }[] } })[]) expect(s.spec.ports.map((p) => p.name)).toContain(monitor.spec.endpoints[0].port);
    expect(monitor.spec.endpoints[0].path).toBe('/metrics');
  });

  it('let only the services, the ingress controller and Prometheus reach the service pods', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as (K8sObject & { spec: any })[];
    expect(policies.some((p) => p.spec.policyTypes.includes('Ingress') && p.spec.ingress === undefined)).toBe(true);
    const allow = find(objects, 'NetworkPolicy', 'kairos-services-ingress');
    for (const service of SERVICES) expect(matches(allow.spec.podSelector.matchLabels, find(objects, 'Deployment', service).spec.template.metadata.labels)).toBe(true);
    expect(allow.spec.ingress[0].ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
  });

  it('set only variables the services or setup declare in kairos-config', () => {
    const known = new Set([...Object.keys(serviceConfig), ...Object.keys(kafkaConnectionConfig), ...Object.keys(setupConfig)]);
    const data = (find(objects, 'ConfigMap', 'kairos-config') as unknown as { data: Record<string, string> }).data;
    for (const name of Object.keys(data)) expect(known.has(name) ? name : `${name} (unknown)`).toBe(name);
  });
});

describe('the overlays', () => {
  it('small: one replica each, autoscaled to two, replication factor 1, the release image, in its namespace', () => {
    const objects = renderKustomization(variants.small);
    for (const service of SERVICES) {
      const deployment = find(objects, 'Deployment', service);
      expect(deployment.spec.replicas).toBe(1);
      expect(deployment.metadata.namespace).toBe('kairos');
      expect(deployment.spec.template.spec.containers[0].image).toBe('registry.example.com/kairos:1.0.0');
      expect(find(objects, 'HorizontalPodAutoscaler', service).spec).toMatchObject({ minReplicas: 1, maxReplicas: 2 });
    }
    expect((find(objects, 'ConfigMap', 'kairos-config') as unknown as { data: Record<string, string> }).data.KAFKA_REPLICATION_FACTOR).toBe('1');
    expect(find(objects, 'Job', 'kairos-setup').spec.template.spec.containers[0].image).toBe('registry.example.com/kairos:1.0.0');
  });

  it('production: a secured shared Kafka cluster, and the request service bigger with its probes kept (containers merged by name)', () => {
    const objects = renderKustomization(variants.production);
    const data = (find(objects, 'ConfigMap', 'kairos-config') as unknown as { data: Record<string, string> }).data;
    expect(data).toMatchObject({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_TOPIC_PREFIX: 'kairos-prod.', AUTH_AUDIENCE: 'kairos' });
    expect(data.KAFKA_SASL_PASSWORD).toBeUndefined();
    const deployment = find(objects, 'Deployment', 'request-service');
    expect(deployment.spec.replicas).toBe(3);
    const [container] = deployment.spec.template.spec.containers;
    expect(container.resources.limits.memory).toBe('384Mi');
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'SERVICE', value: 'request-service' }, { name: 'NODE_OPTIONS', value: '--max-old-space-size=288' }]));
    expect(find(objects, 'HorizontalPodAutoscaler', 'request-service').spec).toMatchObject({ minReplicas: 3, maxReplicas: 12 });
    expect(find(objects, 'HorizontalPodAutoscaler', 'notifier').spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
    expect(find(objects, 'Deployment', 'notifier').metadata.labels).toMatchObject({ 'app.kubernetes.io/part-of': 'kairos' });
  });

  it('the validator refuses a broken object (a port that is not a number, a PDB without a selector)', () => {
    const deployment = structuredClone(find(renderKustomization(variants.base), 'Deployment', 'request-service'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => validate(deployment)).toThrow(/containerPort/);
    const monitor = structuredClone(find(renderKustomization(variants.base), 'ServiceMonitor', 'kairos'));
    monitor.spec.endpoints[0].interval = 'every minute';
    expect(() => validate(monitor)).toThrow();
  });
});
