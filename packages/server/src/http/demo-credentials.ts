/**
 * `GET /demo/credentials[?sessionId=ID][&name=NAME]`: what the demo page needs to join — the API
 * key, a session (a new one, or the one named) and a fresh publisher token whose connection data
 * is `name=NAME`. Served only for the project
 * named by the `demoProject` option (the CLI's development project); anyone who can reach the
 * server could otherwise join any session, so it is off unless configured.
 */
import type { ServerResponse } from 'node:http';
import { generateToken, mintSessionId } from '@parley/server-sdk';
import type { Store } from '../store/store.js';

export const DEMO_CREDENTIALS_PATH = '/demo/credentials';

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * @example
 * if (pathname === DEMO_CREDENTIALS_PATH) await serveDemoCredentials(url, res, store, 'dev-key');
 */
export async function serveDemoCredentials(
  url: URL,
  res: ServerResponse,
  store: Store,
  demoProject: string | undefined,
): Promise<void> {
  if (demoProject === undefined) {
    json(res, 404, {
      message: 'demo credentials are served only for the development project (parley serve without --api-key)',
    });
    return;
  }
  const project = await store.getProject(demoProject);
  if (project === undefined) {
    json(res, 404, { message: `the demo project ${demoProject} is not in the store` });
    return;
  }
  let sessionId = url.searchParams.get('sessionId') ?? '';
  if (sessionId === '') {
    sessionId = mintSessionId(project.apiKey, { relayed: false });
    await store.createSession({
      sessionId,
      apiKey: project.apiKey,
      mediaMode: 'routed',
      archiveMode: 'manual',
      location: '',
      e2ee: false,
      createdAt: Date.now(),
    });
  } else {
    const session = await store.getSession(sessionId);
    if (session?.apiKey !== project.apiKey) {
      json(res, 404, { message: 'no such session in the demo project' });
      return;
    }
  }
  const name = (url.searchParams.get('name') ?? '').slice(0, 100);
  const token = generateToken(project.apiKey, project.apiSecret, sessionId, {
    role: 'publisher',
    ...(name !== '' && { data: `name=${name}` }),
  });
  json(res, 200, { apiKey: project.apiKey, sessionId, token });
}
