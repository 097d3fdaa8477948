import { Octokit } from '@octokit/rest';
import { parseGithubTargetText } from '@kairos/contracts';
import type { TargetState } from '../../../domain/job';
import { loginOf, NoLoginError, type LoginDirectory } from '../../../domain/logins';
import { ConnectorNotConfiguredError, GrantRefusedError, type Connector, type ConnectorHealth, type GrantSpec } from '../../../domain/connector';

export interface GithubSettings {
  readonly token?: string;
  readonly apiUrl: string;
  readonly logins: LoginDirectory;
  readonly timeoutMs: number;
}

const USERNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

/** `<org>/<team-slug>`: the rule the catalogue applies too (@kairos/contracts CONNECTOR_TARGETS). */
export const parseGithubTarget = parseGithubTargetText;

/**
 * GitHub team membership (role `member`) through the REST API with Octokit. The catalogue target
 * is `<org>/<team-slug>`; the person's GitHub login comes from the directory mapping or the naming
 * rule. Verified by reading exactly that membership: only an `active` one is access (a `pending`
 * invitation is not, so the grant is retried until it is accepted or fails).
 */
export class GithubConnector implements Connector {
  readonly name = 'github' as const;
  readonly configured: boolean;
  private readonly octokit?: Octokit;

  constructor(private readonly settings: GithubSettings) {
    this.configured = Boolean(settings.token);
    if (settings.token) {
      this.octokit = new Octokit({
        auth: settings.token,
        baseUrl: settings.apiUrl.replace(/\/+$/, ''),
        userAgent: 'kairos-provisioning-connector',
        request: { timeout: settings.timeoutMs, retries: 0 },
        log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      });
    }
  }

  async grant(spec: GrantSpec): Promise<string> {
    const { org, team, username } = this.parts(spec);
    const { data } = await this.call('grant', () =>
      this.client().rest.teams.addOrUpdateMembershipForUserInOrg({ org, team_slug: team, username, role: 'member' }),
    );
    return `membership ${data.state}`;
  }

  async revoke(spec: GrantSpec): Promise<string> {
    const { org, team, username } = this.parts(spec);
    try {
      await this.call('revoke', () => this.client().rest.teams.removeMembershipForUserInOrg({ org, team_slug: team, username }));
      return 'membership removed';
    } catch (error) {
      if ((error as { githubStatus?: number }).githubStatus === 404) return 'was not a member';
      throw error;
    }
  }

  async verify(spec: GrantSpec): Promise<TargetState> {
    const { org, team, username } = this.parts(spec);
    try {
      const { data } = await this.call('verify', () =>
        this.client().rest.teams.getMembershipForUserInOrg({ org, team_slug: team, username }),
      );
      return data.state === 'active' ? 'present' : 'absent';
    } catch (error) {
      if ((error as { githubStatus?: number }).githubStatus === 404) return 'absent';
      throw error;
    }
  }

  /** `GET /rate_limit`: authenticated, free of rate-limit cost, answered for every kind of token. */
  async health(): Promise<ConnectorHealth> {
    if (!this.octokit) return { healthy: false, reason: 'GITHUB_TOKEN is not set' };
    try {
      await this.call('health', () => this.client().rest.rateLimit.get());
      return { healthy: true };
    } catch (error) {
      return { healthy: false, reason: (error as Error).message };
    }
  }

  async close(): Promise<void> {}

  private client(): Octokit {
    if (!this.octokit) throw new ConnectorNotConfiguredError('github', 'GITHUB_TOKEN is not set');
    return this.octokit;
  }

  private parts(spec: GrantSpec): { org: string; team: string; username: string } {
    const target = parseGithubTarget(spec.target);
    if (!target) throw new GrantRefusedError('the github target must be <org>/<team-slug>');
    let username: string;
    try {
      username = loginOf(spec.subject.id, this.settings.logins, 'GitHub');
    } catch (error) {
      if (error instanceof NoLoginError) throw new GrantRefusedError(error.message);
      throw error;
    }
    if (!USERNAME.test(username)) throw new GrantRefusedError('the GitHub login from the directory is not a valid GitHub username');
    return { ...target, username };
  }

  /** Errors name the action and the HTTP status only: Octokit's own carry the request (URL, headers). */
  private async call<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ConnectorNotConfiguredError) throw error;
      const status = (error as { status?: unknown }).status;
      const wrapped = new Error(
        typeof status === 'number' && status > 0 ? `github ${action} answered HTTP ${status}` : `github ${action} call failed: unreachable or timed out`,
      );
      (wrapped as Error & { githubStatus?: number }).githubStatus = typeof status === 'number' ? status : undefined;
      throw wrapped;
    }
  }
}
