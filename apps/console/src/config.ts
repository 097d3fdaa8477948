/** Where the console finds the issuer and the APIs: /config.json beside the static files, read at start. */
export interface ConsoleConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly apis: { readonly requests: string; readonly policy: string; readonly provisioning: string; readonly audit: string };
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch('/config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`could not read /config.json (HTTP ${res.status})`);
  const body = (await res.json()) as Partial<ConsoleConfig>;
  if (typeof body.issuer !== 'string' || typeof body.clientId !== 'string' || !body.apis) throw new Error('/config.json needs issuer, clientId and apis');
  return body as ConsoleConfig;
}
