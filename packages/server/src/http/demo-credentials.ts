/**
 * `GET /demo/credentials[?sessionId=ID][&name=NAME]`: what the demo page needs to join — the API
 * key, a session (a new one, or the one named) and a fresh publisher token whose connection data
 * is `name=NAME`. Served only for the project
 * named by the `demoProject` option (the CLI's development project); anyone who can reach the
 * server could otherwise join any session, so it is off unless configured. While it is on, only
 * requests addressed to a loopback name or the bound host are answered (403 otherwise: DNS
 * rebinding), and new sessions are rate-limited per client address and capped per run (429).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generateToken, mintSessionId } from '@parley/server-sdk';
import { sendJson } from './json.js';
import type { Store } from '../store/store.js';
import { clientAddress, clientKey, type ProxyTrust } from './client-address.js';
import { isDemoHost, type DemoLimiter } from './demo-guard.js';

export const DEMO_CREDENTIALS_PATH = '/demo/credentials';

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJson(res, status, body, { ...headers, 'cache-control': 'no-store' });
}

/** What the demo endpoint needs. */
export interface DemoCredentialsDeps {
  readonly store: Store;
  /** The development project's API key; undefined when minting is off. */
  readonly demoProject: string | undefined;
  /** The address the server listens on (`Host` headers naming it are answered). */
  readonly boundHost: string;
  readonly limiter: DemoLimiter;
  /** Which forwarding headers name the client (the limiter counts per client address). */
  readonly trust: Readonly<ProxyTrust>;
  /** Called when the limiter refuses (counted in the metrics). */
  readonly onLimited?: () => void;
}

/**
 * @example
 * if (pathname === DEMO_CREDENTIALS_PATH) await serveDemoCredentials(req, url, res, deps);
 */
export async function serveDemoCredentials(
  req: IncomingMessage,
  url: URL,
  res: ServerResponse,
  { store, demoProject, boundHost, limiter, trust, onLimited }: DemoCredentialsDeps,
): Promise<void> {
  if (demoProject === undefined) {
    json(res, 404, {
      message: 'demo credentials are served only for the development project (parley serve without --api-key)',
    });
    return;
  }
  if (!isDemoHost(req.headers.host, boundHost)) {
    json(res, 403, {
      message: 'demo credentials are served only to requests addressed to localhost or the host the server is bound to',
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
    const admission = limiter.admit(clientKey(clientAddress(req, trust)));
    if (!admission.ok) {
      onLimited?.();
      const retry = admission.retryAfterSeconds;
      json(res, 429, { message: admission.message }, retry === undefined ? {} : { 'retry-after': String(retry) });
      return;
    }
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
