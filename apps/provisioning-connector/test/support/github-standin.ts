import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the part of GitHub's REST API the github connector uses. GitHub is a
 * third-party SaaS the tests cannot (and must not) reach, so this answers as its documentation says:
 * - `GET /rate_limit`                                    200 for a valid token, 401 otherwise
 * - `PUT /orgs/{org}/teams/{team}/memberships/{user}`    200 `{state, role}`: `active` for an org member, `pending` otherwise
 * - `GET /orgs/{org}/teams/{team}/memberships/{user}`    200 `{state, role}`, 404 when not a member
 * - `DELETE /orgs/{org}/teams/{team}/memberships/{user}` 204, 404 when not a member
 * Unknown teams and users answer 404; every call without `authorization: token <t>` answers 401.
 */
export interface GithubStandIn {
  readonly url: string;
  readonly token: string;
  readonly requests: { method: string; path: string; authorization?: string }[];
  /** team `org/slug` → username → membership */
  readonly teams: Map<string, Map<string, { state: 'active' | 'pending'; role: string }>>;
  readonly orgMembers: Set<string>;
  readonly users: Set<string>;
  /** Answer every call with this status (an outage), or undefined. */
  outage?: number;
  close(): Promise<void>;
}

export async function startGithubStandIn(token: string): Promise<GithubStandIn> {
  const state: Omit<GithubStandIn, 'url' | 'close'> = { token, requests: [], teams: new Map(), orgMembers: new Set(), users: new Set() };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      state.requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
      const send = (status: number, json?: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(json === undefined ? '' : JSON.stringify(json));
      if ((state as GithubStandIn).outage) return send((state as GithubStandIn).outage!, { message: 'Service unavailable' });
      if (req.headers.authorization !== `token ${state.token}`) return send(401, { message: 'Bad credentials' });
      if (req.method === 'GET' && path === '/rate_limit') return send(200, { resources: { core: { limit: 5000, remaining: 4999 } }, rate: { limit: 5000, remaining: 4999 } });
      const m = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(path);
      if (!m) return send(404, { message: 'Not Found' });
      const [, org, slug, user] = m.map(decodeURIComponent) as [string, string, string, string];
      const team = state.teams.get(`${org}/${slug}`);
      if (!team || !state.users.has(user)) return send(404, { message: 'Not Found' });
      switch (req.method) {
        case 'PUT': {
          const role = (JSON.parse(body || '{}') as { role?: string }).role ?? 'member';
          const membership = { state: state.orgMembers.has(user) ? ('active' as const) : ('pending' as const), role };
          team.set(user, membership);
          return send(200, { url: `/orgs/${org}/teams/${slug}/memberships/${user}`, ...membership });
        }
        case 'GET': {
          const membership = team.get(user);
          return membership ? send(200, { url: `/orgs/${org}/teams/${slug}/memberships/${user}`, ...membership }) : send(404, { message: 'Not Found' });
        }
        case 'DELETE':
          return team.delete(user) ? void res.writeHead(204).end() : send(404, { message: 'Not Found' });
        default:
          return send(405, { message: 'Method not allowed' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const standIn = state as GithubStandIn;
  Object.assign(standIn, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
  return standIn;
}
