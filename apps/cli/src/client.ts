import { createKairosClient, type KairosClient } from '@kairos/api-client';
import { refreshCredentials } from './commands/login';
import { currentToken, platformUrls } from './settings';

/** The typed client every command uses: the platform's URLs and the signed-in token (renewed when it can be). */
export function kairos(env: NodeJS.ProcessEnv = process.env): KairosClient {
  const urls = platformUrls(env);
  return createKairosClient({ baseUrls: urls, token: () => currentToken(env, refreshCredentials) });
}
