// The image's HEALTHCHECK: the service's own readiness (PostgreSQL, Kafka, EventStoreDB reachable).
// A one-shot (SERVICE=setup) has no server; it is healthy while it runs.
if (process.env.SERVICE === 'setup') process.exit(0);
const port = process.env.PORT || '3000';
fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(2500) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
