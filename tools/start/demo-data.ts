import { Client } from 'pg';

/**
 * What a new team sees on first start: people with managers and groups, a service account,
 * resources across the sensitivity tiers, and a real target PostgreSQL database whose roles the
 * connector grants. Loaded through the public admin API, exactly as a team would load its own.
 */
export const demoIdentities = [
  { id: 'admin', kind: 'person', displayName: 'Ada Admin', email: 'admin@example.com', groups: ['platform'] },
  { id: 'maria', kind: 'person', displayName: 'Maria Manager', email: 'maria@example.com', groups: ['engineering'] },
  { id: 'alice', kind: 'person', displayName: 'Alice Engineer', email: 'alice@example.com', managerId: 'maria', groups: ['engineering'] },
  { id: 'dave', kind: 'person', displayName: 'Dave Developer', email: 'dave@example.com', managerId: 'maria', groups: ['engineering'] },
  { id: 'bob', kind: 'person', displayName: 'Bob DBA', email: 'bob@example.com', managerId: 'maria', groups: ['dba'] },
  { id: 'erin', kind: 'person', displayName: 'Erin Security', email: 'erin@example.com', groups: ['security'] },
  { id: 'frank', kind: 'person', displayName: 'Frank Security', email: 'frank@example.com', groups: ['security'] },
  { id: 'ci-bot', kind: 'service', displayName: 'CI deploy bot', owner: 'alice', groups: ['engineering'] },
] as const;

export const demoTargetRoles = ['orders_readonly', 'orders_admin', 'pii_reader'] as const;

export const demoResources = [
  { id: 'orders-db', name: 'Orders database (read only)', connector: 'postgres', target: 'orders_readonly', owners: ['bob'], allowedRoles: ['readonly'], tier: 0 },
  // Short-lived credentials: a login of its own, VALID UNTIL the expiry, handed once at GET /v1/credentials/<grantId>.
  { id: 'orders-db-login', name: 'Orders database (read only, short-lived login)', connector: 'postgres', target: 'orders_readonly?mode=credentials', owners: ['bob'], allowedRoles: ['readonly'], tier: 0 },
  { id: 'billing-dashboard', name: 'Billing dashboard', connector: 'manual', target: 'billing-console', owners: ['maria'], allowedRoles: ['viewer', 'admin'], tier: 1 },
  { id: 'payments-api', name: 'Payments API operator', connector: 'manual', target: 'payments-operator', owners: ['bob'], allowedRoles: ['operator'], tier: 2, breakGlassAllowed: true },
  { id: 'orders-db-admin', name: 'Orders database (admin)', connector: 'postgres', target: 'orders_admin', owners: ['bob'], allowedRoles: ['admin'], tier: 3, breakGlassAllowed: true },
  { id: 'customer-pii', name: 'Customer PII store', connector: 'postgres', target: 'pii_reader', owners: ['bob'], allowedRoles: ['reader'], tier: 4, breakGlassAllowed: true },
] as const;

export async function ensureTargetRoles(targetDatabaseUrl: string, roles: readonly string[]): Promise<void> {
  const client = new Client({ connectionString: targetDatabaseUrl });
  await client.connect();
  try {
    for (const role of roles) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rowCount === 0) await client.query(`CREATE ROLE "${role}" NOLOGIN`);
    }
    // Something for orders_readonly to read, so a short-lived login has something to show.
    await client.query(`CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, customer text NOT NULL, total numeric(10, 2) NOT NULL)`);
    await client.query(`INSERT INTO orders VALUES (1, 'ACME', 120.50), (2, 'Globex', 99.00) ON CONFLICT DO NOTHING`);
    if (roles.includes('orders_readonly')) {
      await client.query(`GRANT SELECT ON orders TO orders_readonly`);
      await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(client.database ?? 'postgres')} TO orders_readonly`);
    }
  } finally {
    await client.end();
  }
}

export async function adminCall(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

/** Loads the demo data once; identities and resources already there are left as they are. */
export async function loadDemoData(options: { policyUrl: string; adminToken: string; targetDatabaseUrl: string }): Promise<void> {
  await ensureTargetRoles(options.targetDatabaseUrl, demoTargetRoles);
  for (const identity of demoIdentities) {
    const existing = await adminCall(options.policyUrl, options.adminToken, 'GET', `/v1/identities/${identity.id}`);
    if (existing.status === 200) continue;
    const created = await adminCall(options.policyUrl, options.adminToken, 'POST', '/v1/identities', identity);
    if (created.status >= 300) throw new Error(`demo identity ${identity.id}: ${created.status} ${JSON.stringify(created.body)}`);
  }
  for (const resource of demoResources) {
    const existing = await adminCall(options.policyUrl, options.adminToken, 'GET', `/v1/resources/${resource.id}`);
    if (existing.status === 200) continue;
    const created = await adminCall(options.policyUrl, options.adminToken, 'POST', '/v1/resources', resource);
    if (created.status >= 300) throw new Error(`demo resource ${resource.id}: ${created.status} ${JSON.stringify(created.body)}`);
  }
}
