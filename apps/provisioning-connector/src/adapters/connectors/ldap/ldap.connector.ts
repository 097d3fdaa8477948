import { CONNECTOR_TARGETS } from '@kairos/contracts';
import { Attribute, Change, Client, EqualityFilter, NoSuchAttributeError, NoSuchObjectError, TypeOrValueExistsError } from 'ldapts';
import type { TargetState } from '../../../domain/job';
import { loginOf, NoLoginError, type LoginDirectory } from '../../../domain/logins';
import { ConnectorNotConfiguredError, GrantRefusedError, type Connector, type ConnectorHealth, type GrantSpec } from '../../../domain/connector';

export interface LdapSettings {
  readonly url?: string;
  readonly bindDn: string;
  readonly bindPassword?: string;
  /** The person's entry: `{login}` is replaced by the (DN-escaped) login from the directory. */
  readonly userDnTemplate: string;
  readonly logins: LoginDirectory;
  readonly memberAttribute: string;
  readonly timeoutMs: number;
}

/**
 * Group membership in an LDAP directory or Active Directory: the catalogue target is the group's
 * DN, the person's entry is found from their login; a grant adds the entry's DN to the group's
 * member attribute, a revocation removes it, and verification searches the group for exactly that
 * value. Each call opens, binds and closes its own connection.
 */
export class LdapConnector implements Connector {
  readonly name = 'ldap' as const;
  readonly configured: boolean;

  constructor(private readonly settings: LdapSettings) {
    this.configured = Boolean(settings.url);
  }

  async grant(spec: GrantSpec): Promise<string> {
    const problem = ldapTargetProblem(spec.target);
    if (problem) throw new GrantRefusedError(problem);
    const member = this.memberDn(spec);
    return this.withClient(async (client) => {
      if (!(await this.exists(client, member))) throw new GrantRefusedError(`the directory has no entry for ${spec.subject.id}`);
      try {
        await client.modify(spec.target, new Change({ operation: 'add', modification: new Attribute({ type: this.settings.memberAttribute, values: [member] }) }));
        return `added ${member}`;
      } catch (error) {
        if (error instanceof TypeOrValueExistsError) return `${member} was already a member`;
        throw ldapError('grant', error);
      }
    });
  }

  async revoke(spec: GrantSpec): Promise<string> {
    const member = this.memberDn(spec);
    return this.withClient(async (client) => {
      try {
        await client.modify(spec.target, new Change({ operation: 'delete', modification: new Attribute({ type: this.settings.memberAttribute, values: [member] }) }));
        return `removed ${member}`;
      } catch (error) {
        if (error instanceof NoSuchAttributeError || error instanceof NoSuchObjectError) return `${member} was not a member`;
        throw ldapError('revoke', error);
      }
    });
  }

  /** Exactly this access: the group entry holds the person's DN in its member attribute. */
  async verify(spec: GrantSpec): Promise<TargetState> {
    const member = this.memberDn(spec);
    return this.withClient(async (client) => {
      try {
        const { searchEntries } = await client.search(spec.target, {
          scope: 'base',
          filter: new EqualityFilter({ attribute: this.settings.memberAttribute, value: member }),
          attributes: ['dn'],
        });
        return searchEntries.length > 0 ? 'present' : 'absent';
      } catch (error) {
        if (error instanceof NoSuchObjectError) return 'absent';
        throw ldapError('verify', error);
      }
    });
  }

  /** A bind and a read of the root DSE: the cheapest call that proves the directory answers us. */
  async health(): Promise<ConnectorHealth> {
    if (!this.settings.url) return { healthy: false, reason: 'LDAP_URL is not set' };
    try {
      await this.withClient((client) => client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['namingContexts'] }));
      return { healthy: true };
    } catch (error) {
      return { healthy: false, reason: (error as Error).message };
    }
  }

  async close(): Promise<void> {}

  private memberDn(spec: GrantSpec): string {
    let login: string;
    try {
      login = loginOf(spec.subject.id, this.settings.logins, 'directory');
    } catch (error) {
      if (error instanceof NoLoginError) throw new GrantRefusedError(error.message);
      throw error;
    }
    return this.settings.userDnTemplate.replaceAll('{login}', escapeDnValue(login));
  }

  private async exists(client: Client, dn: string): Promise<boolean> {
    try {
      const { searchEntries } = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['dn'] });
      return searchEntries.length > 0;
    } catch (error) {
      if (error instanceof NoSuchObjectError) return false;
      throw ldapError('lookup', error);
    }
  }

  private async withClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
    if (!this.settings.url) throw new ConnectorNotConfiguredError('ldap', 'LDAP_URL is not set');
    const client = new Client({ url: this.settings.url, timeout: this.settings.timeoutMs, connectTimeout: this.settings.timeoutMs });
    try {
      if (this.settings.bindDn) {
        try {
          await client.bind(this.settings.bindDn, this.settings.bindPassword ?? '');
        } catch (error) {
          throw ldapError('bind', error);
        }
      }
      return await work(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
}

/** A group DN: `attr=value,…`, no control characters. */
/** A group DN: the rule the catalogue applies too (@kairos/contracts CONNECTOR_TARGETS). */
export const ldapTargetProblem = CONNECTOR_TARGETS.ldap.problem;

/** RFC 4514: a login becomes one attribute value of a DN, whatever characters it holds. */
export function escapeDnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`)
    .replace(/^ /, '\\ ')
    .replace(/ $/, '\\ ')
    .replace(/[\u0000-\u001f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The directory's result name and code, never the bind DN's password (ldapts never puts it in errors). */
function ldapError(action: string, error: unknown): Error {
  if (error instanceof GrantRefusedError) return error;
  const e = error as { name?: string; code?: unknown; message?: string };
  const code = typeof e.code === 'number' ? ` (LDAP result ${e.code})` : typeof e.code === 'string' ? ` (${e.code})` : '';
  const kind = e.name && e.name !== 'Error' ? e.name : 'error';
  return new Error(`ldap ${action} failed: ${kind}${code}`);
}
