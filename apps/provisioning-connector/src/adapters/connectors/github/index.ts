import { loginMapProblem } from '../../../domain/logins';
import { definePlugin } from '../../../domain/connector';
import { CONNECTOR_TARGETS } from '@kairos/contracts';
import { GithubConnector } from './github.connector';

export const plugin = definePlugin({
  name: 'github',
  description:
    "Adds the person's GitHub account to an organisation team (role member) and removes it at the end, each verified by reading exactly that membership (only an active one counts).",
  targetSyntax: CONNECTOR_TARGETS.github.syntax,
  settings: {
    GITHUB_TOKEN: { type: 'string', default: '', secret: true, description: 'token with admin:org (team membership) rights; empty = github connector not configured (unhealthy, its jobs fail)' },
    GITHUB_API_URL: { type: 'url', protocols: ['http', 'https'], default: 'https://api.github.com', description: 'GitHub REST API base URL (GitHub Enterprise: https://<host>/api/v3)' },
    GITHUB_LOGIN_MAP: { type: 'list', default: [], description: 'identity=GitHub-login pairs (checked before GITHUB_LOGIN_RULE)' },
    GITHUB_LOGIN_RULE: { type: 'string', default: '', description: 'GitHub login of an identity not in GITHUB_LOGIN_MAP: `{id}` or `{local}`; empty = mapped identities only' },
    GITHUB_TIMEOUT_MS: { type: 'int', min: 100, default: 10_000, description: 'timeout of one GitHub API call' },
  },
  checkSettings: (c) => {
    const problem = loginMapProblem(c.GITHUB_LOGIN_MAP);
    return problem ? [`GITHUB_LOGIN_MAP: ${problem}`] : [];
  },
  targetProblem: CONNECTOR_TARGETS.github.problem,
  accessRole: () => 'member',
  create: (c) =>
    new GithubConnector({
      token: c.GITHUB_TOKEN || undefined,
      apiUrl: c.GITHUB_API_URL,
      logins: { map: c.GITHUB_LOGIN_MAP, rule: c.GITHUB_LOGIN_RULE },
      timeoutMs: c.GITHUB_TIMEOUT_MS,
    }),
});
