import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths as ApprovalPolicyPaths } from './generated/approval-policy-service';
import type { paths as AuditPaths } from './generated/audit-projector';
import type { paths as ExpiryPaths } from './generated/expiry-scheduler';
import type { paths as ProvisioningPaths } from './generated/provisioning-connector';
import type { paths as RequestPaths } from './generated/request-service';
import { KairosApiError } from './problem';

export { KairosApiError, type FieldError } from './problem';
export type { ApprovalPolicyPaths, AuditPaths, ExpiryPaths, ProvisioningPaths, RequestPaths };
export type { components as ApprovalPolicySchemas } from './generated/approval-policy-service';
export type { components as AuditSchemas } from './generated/audit-projector';
export type { components as ExpirySchemas } from './generated/expiry-scheduler';
export type { components as ProvisioningSchemas } from './generated/provisioning-connector';
export type { components as RequestSchemas } from './generated/request-service';

/** Where each service answers, e.g. `{ requests: 'http://localhost:3001', policy: 'http://localhost:3002' }`. */
export interface KairosBaseUrls {
  readonly requests?: string;
  readonly policy?: string;
  readonly provisioning?: string;
  readonly expiry?: string;
  readonly audit?: string;
}

export interface KairosClientOptions {
  readonly baseUrls: KairosBaseUrls;
  /** The bearer token, or a function asked before every call (to refresh it). Never logged or put in a URL. */
  readonly token: string | (() => string | Promise<string>);
  /** A fetch of your own (tests, proxies); the global fetch otherwise. */
  readonly fetch?: typeof fetch;
  /**
   * Every POST without an `Idempotency-Key` header gets a fresh one (default true), so a retry of
   * the same call is recognised by the service. Pass your own (`idempotencyKey(key)`) to make a
   * retry across process restarts safe.
   */
  readonly idempotencyKeys?: boolean;
}

export interface KairosClient {
  readonly requests: Client<RequestPaths>;
  readonly policy: Client<ApprovalPolicyPaths>;
  readonly provisioning: Client<ProvisioningPaths>;
  readonly expiry: Client<ExpiryPaths>;
  readonly audit: Client<AuditPaths>;
}

/** Per-call option: `client.requests.POST('/v1/access-requests', { body, ...idempotencyKey(key) })`. */
export const idempotencyKey = (key: string) => ({ headers: { 'Idempotency-Key': key } });

/**
 * One typed client per service, generated from the committed OpenAPI documents (api/openapi).
 * Calls resolve with `{ data, response }` on success; any error answer rejects with a
 * `KairosApiError` made from its problem+json body.
 */
export function createKairosClient(options: KairosClientOptions): KairosClient {
  const auth: Middleware = {
    async onRequest({ request }) {
      const token = typeof options.token === 'function' ? await options.token() : options.token;
      request.headers.set('authorization', `Bearer ${token}`);
      if (options.idempotencyKeys !== false && request.method === 'POST' && !request.headers.has('idempotency-key')) {
        request.headers.set('idempotency-key', crypto.randomUUID());
      }
      return request;
    },
    async onResponse({ response }) {
      if (!response.ok) throw await KairosApiError.from(response);
      return response;
    },
  };
  const make = <Paths extends object>(service: keyof KairosBaseUrls): Client<Paths> => {
    const baseUrl = options.baseUrls[service];
    const client = createClient<Paths>({
      baseUrl: baseUrl ?? 'http://kairos.invalid',
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    client.use(
      baseUrl
        ? auth
        : {
            onRequest() {
              throw new Error(`createKairosClient: no base URL for ${service}`);
            },
          },
    );
    return client;
  };
  return {
    requests: make<RequestPaths>('requests'),
    policy: make<ApprovalPolicyPaths>('policy'),
    provisioning: make<ProvisioningPaths>('provisioning'),
    expiry: make<ExpiryPaths>('expiry'),
    audit: make<AuditPaths>('audit'),
  };
}
