import { CONNECTOR_TARGETS } from '@kairos/contracts';
import { loginMapProblem } from '../../../domain/logins';
import { definePlugin } from '../../../domain/connector';
import { LdapConnector, ldapTargetProblem } from './ldap.connector';

export const plugin = definePlugin({
  name: 'ldap',
  description:
    "Adds the person's directory entry to an LDAP / Active Directory group (the group's member attribute) and removes it at the end, each verified by a search of the group for exactly that member.",
  targetSyntax: CONNECTOR_TARGETS.ldap.syntax,
  settings: {
    LDAP_URL: { type: 'string', default: '', description: 'ldap:// or ldaps:// URL of the directory; empty = ldap connector not configured (unhealthy, its jobs fail)' },
    LDAP_BIND_DN: { type: 'string', default: '', description: 'DN the connector binds as (needs write access to the member attribute of the catalogue groups)' },
    LDAP_BIND_PASSWORD: { type: 'string', default: '', secret: true, description: 'password of LDAP_BIND_DN' },
    LDAP_USER_DN_TEMPLATE: {
      type: 'string',
      default: '',
      description: "a person's entry: `{login}` is replaced by their directory login, e.g. `uid={login},ou=people,dc=example,dc=org`",
    },
    LDAP_LOGIN_MAP: { type: 'list', default: [], description: 'identity=login pairs for the directory (checked before LDAP_LOGIN_RULE)' },
    LDAP_LOGIN_RULE: { type: 'string', default: '{local}', description: 'directory login of an identity not in LDAP_LOGIN_MAP: `{id}` or `{local}` (part before @)' },
    LDAP_MEMBER_ATTRIBUTE: { type: 'string', default: 'member', description: 'the group attribute holding member DNs (`member`; `uniqueMember` for groupOfUniqueNames)' },
    LDAP_TIMEOUT_MS: { type: 'int', min: 100, default: 10_000, description: 'timeout of one LDAP operation' },
  },
  checkSettings: (c) => {
    const problems: string[] = [];
    if (c.LDAP_URL && !/^ldaps?:\/\//.test(c.LDAP_URL)) problems.push('LDAP_URL must be an ldap:// or ldaps:// URL');
    if (c.LDAP_URL && !c.LDAP_USER_DN_TEMPLATE.includes('{login}')) problems.push('LDAP_USER_DN_TEMPLATE must contain {login} when LDAP_URL is set');
    const map = loginMapProblem(c.LDAP_LOGIN_MAP);
    if (map) problems.push(`LDAP_LOGIN_MAP: ${map}`);
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(c.LDAP_MEMBER_ATTRIBUTE)) problems.push('LDAP_MEMBER_ATTRIBUTE is not an attribute name');
    return problems;
  },
  targetProblem: ldapTargetProblem,
  accessRole: ({ target }) => target,
  create: (c) =>
    new LdapConnector({
      url: c.LDAP_URL || undefined,
      bindDn: c.LDAP_BIND_DN,
      bindPassword: c.LDAP_BIND_PASSWORD || undefined,
      userDnTemplate: c.LDAP_USER_DN_TEMPLATE,
      logins: { map: c.LDAP_LOGIN_MAP, rule: c.LDAP_LOGIN_RULE },
      memberAttribute: c.LDAP_MEMBER_ATTRIBUTE,
      timeoutMs: c.LDAP_TIMEOUT_MS,
    }),
});
