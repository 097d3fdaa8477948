import { ConfigError, loadConfig } from './config';
import { parseOrigins, serviceConfig } from './common';

const valid = {
  PORT: '3000',
  DATABASE_URL: 'postgres://u:p@localhost:5432/db',
  AUTH_ISSUER: 'http://issuer',
  AUTH_JWKS_URL: 'http://issuer/jwks.json',
};

describe('service configuration', () => {
  it('parses typed values and applies defaults', () => {
    const config = loadConfig(serviceConfig, valid);
    expect(config.PORT).toBe(3000);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.AUTH_AUDIENCE).toBe('kairos');
  });

  it('names every missing variable', () => {
    expect(() => loadConfig(serviceConfig, {})).toThrow(ConfigError);
    try {
      loadConfig(serviceConfig, {});
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'DATABASE_URL', 'AUTH_ISSUER', 'AUTH_JWKS_URL']) expect(problems).toContain(`${name} is missing`);
    }
  });

  it('names a bad value and never echoes a secret', () => {
    const attempt = () => loadConfig(serviceConfig, { ...valid, PORT: 'eighty', DATABASE_URL: 'not a url with password hunter2' });
    expect(attempt).toThrow(/PORT must be an integer, got "eighty"/);
    expect(attempt).toThrow(/DATABASE_URL must be a URL/);
    expect(attempt).not.toThrow(/hunter2/);
  });

  it('refuses a value outside an enum or a range', () => {
    expect(() => loadConfig(serviceConfig, { ...valid, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL must be one of/);
    expect(() => loadConfig(serviceConfig, { ...valid, PORT: '70000' })).toThrow(/PORT must be <= 65535/);
  });
});

describe('CORS_ORIGINS', () => {
  it('is empty by default: CORS is answered for nobody', () => {
    expect(parseOrigins(loadConfig(serviceConfig, valid).CORS_ORIGINS)).toEqual([]);
  });

  it('lists origins', () => {
    expect(parseOrigins(loadConfig(serviceConfig, { ...valid, CORS_ORIGINS: 'http://127.0.0.1:3000, https://console.example.com' }).CORS_ORIGINS)).toEqual([
      'http://127.0.0.1:3000',
      'https://console.example.com',
    ]);
  });

  it('refuses a wildcard, a path or a non-http scheme instead of opening the API to every site', () => {
    for (const bad of ['*', 'https://console.example.com/', 'https://console.example.com/app', 'ftp://x.example.com', 'console.example.com']) {
      expect(() => loadConfig(serviceConfig, { ...valid, CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS must list origins/);
    }
  });
});
