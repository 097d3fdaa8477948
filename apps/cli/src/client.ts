import { createKairosClient, type KairosClient } from '@kairos/api-client';
import { currentToken, platformUrls } from './settings';

/** The typed client every command uses: the platform's URLs and the signed-in token. */
export function kairos(env: NodeJS.ProcessEnv = process.env): KairosClient {
  const urls = platformUrls(env);
  return createKairosClient({ baseUrls: urls, token: () => currentToken(env) });
}
