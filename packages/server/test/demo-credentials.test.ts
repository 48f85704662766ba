/**
 * Issue 8, findings 8 and 9, against the real server with demo minting on:
 * - DNS rebinding: `/demo/credentials` answers only requests addressed to a loopback name or the
 *   bound host; `Host: attacker.example` gets 403 JSON and no token.
 * - Anonymous requests cannot grow the store without limit: new demo sessions are limited per
 *   client address (429 + Retry-After) and capped per run (429); tokens for an existing session
 *   are still served, and the members of a demo session notice nothing.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handshakeQuery } from '@parley/protocol';
import { createServer, type ParleyServer, type ServerOptions } from '@parley/server';
import { RawClient } from './support/raw-client.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: { message?: string; apiKey?: string; sessionId?: string; token?: string };
}

/** GET with a chosen Host header and source address (127.0.0.0/8 are all this machine). */
function get(
  server: ParleyServer,
  path: string,
  opts: { host?: string; from?: string; forwardedFor?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        localAddress: opts.from ?? '127.0.0.1',
        headers: {
          ...(opts.host === undefined ? {} : { host: opts.host }),
          ...(opts.forwardedFor === undefined ? {} : { 'x-forwarded-for': opts.forwardedFor }),
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (!/^application\/json/.test(res.headers['content-type'] ?? '')) {
            reject(new Error(`${res.statusCode ?? 0} is not JSON: ${res.headers['content-type'] ?? ''} ${text}`));
            return;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Answer['body'] });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Join a demo session with the token the endpoint handed out; resolves once welcomed. */
async function joinWith(server: ParleyServer, creds: Answer['body'], clients: RawClient[]): Promise<RawClient> {
  const q = handshakeQuery({
    kind: 'join',
    apiKey: creds.apiKey ?? '',
    sessionId: creds.sessionId ?? '',
    token: creds.token ?? '',
  });
  const client = new RawClient(`${server.wsUrl}?${q}`);
  clients.push(client);
  await client.nextOf('welcome');
  return client;
}

async function start(options: ServerOptions = {}): Promise<ParleyServer> {
  return createServer({ port: 0, dataDir: ':memory:', demo: true, ...options });
}

describe('DNS rebinding: only loopback names and the bound host are answered', () => {
  let server: ParleyServer;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await server.close();
  });

  it('refuses foreign Host headers with 403 JSON and no token; members of the session notice nothing', async () => {
    const created = await get(server, '/demo/credentials?name=host');
    expect(created.status).toBe(200);
    const member = await joinWith(server, created.body, clients);
    const sessionPath = `/demo/credentials?sessionId=${encodeURIComponent(created.body.sessionId ?? '')}`;

    for (const host of [
      'attacker.example',
      `attacker.example:${server.port}`,
      'localhost.attacker.example',
      '127.0.0.1.nip.io',
      '[::2]',
    ]) {
      for (const path of ['/demo/credentials', sessionPath]) {
        const answer = await get(server, path, { host });
        expect(answer.status, host).toBe(403);
        expect(answer.body.message, host).toMatch(/localhost or the host the server is bound to/);
        expect(answer.body.token, host).toBeUndefined();
      }
    }

    // A legitimate second participant still gets in, and is the only arrival the member sees.
    const second = await get(server, sessionPath, { host: `localhost:${server.port}` });
    expect(second.status).toBe(200);
    await joinWith(server, second.body, clients);
    expect(await member.nextOf('connectionCreated')).toMatchObject({ t: 'connectionCreated' });
    expect(member.all('connectionCreated')).toHaveLength(1);
    expect(member.closed).toBeUndefined();
  });

  it('answers loopback names with or without a port', async () => {
    for (const host of [
      'localhost',
      `localhost:${server.port}`,
      `127.0.0.1:${server.port}`,
      '127.9.9.9',
      '[::1]',
      `[::1]:${server.port}`,
    ]) {
      const answer = await get(server, '/demo/credentials', { host });
      expect(answer.status, host).toBe(200);
      expect(answer.body.token, host).toMatch(/^eyJ/);
    }
  });
});

describe('new demo sessions are limited per client address and capped per run', () => {
  let server: ParleyServer;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    server = await start({ demoLimits: { perIpBurst: 3, perIpPerMinute: 1, maxSessions: 5 } });
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await server.close();
  });

  it('429 with Retry-After past the per-address burst; tokens for an existing session are still served', async () => {
    const first = await get(server, '/demo/credentials');
    expect(first.status).toBe(200);
    const member = await joinWith(server, first.body, clients);
    expect((await get(server, '/demo/credentials')).status).toBe(200);
    expect((await get(server, '/demo/credentials')).status).toBe(200);

    const limited = await get(server, '/demo/credentials');
    expect(limited.status).toBe(429);
    expect(limited.body.message).toMatch(/too many new demo sessions from this address/);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);

    // Joining the existing session stores nothing and is not limited; its member sees the arrival.
    const sessionPath = `/demo/credentials?sessionId=${encodeURIComponent(first.body.sessionId ?? '')}`;
    const again = await get(server, sessionPath);
    expect(again.status).toBe(200);
    await joinWith(server, again.body, clients);
    expect(await member.nextOf('connectionCreated')).toMatchObject({ t: 'connectionCreated' });
    expect(member.closed).toBeUndefined();
  });

  it('20 requests from four addresses store at most the cap; past it every address gets 429', async () => {
    const statuses: number[] = [];
    for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) {
      for (let i = 0; i < 5; i++) statuses.push((await get(server, '/demo/credentials', { from })).status);
    }
    // 3 sessions were created by the first test; the cap of 5 leaves room for 2 more.
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(18);
    const capped = await get(server, '/demo/credentials', { from: '127.0.0.6' });
    expect(capped.status).toBe(429);
    expect(capped.body.message).toMatch(/created its 5 sessions for this server run/);
  });
});

describe('the per-address limit counts the client address (trustProxy)', () => {
  it('behind one trusted proxy each forwarded address has its own bucket; without trust the header is ignored', async () => {
    const limits = { perIpBurst: 1, perIpPerMinute: 1, maxSessions: 100 };
    const trusting = await start({ demoLimits: limits, trustProxy: 1 });
    const direct = await start({ demoLimits: limits });
    try {
      const statuses = async (server: ParleyServer): Promise<number[]> => [
        (await get(server, '/demo/credentials', { forwardedFor: '203.0.113.1' })).status,
        (await get(server, '/demo/credentials', { forwardedFor: '203.0.113.2' })).status,
        (await get(server, '/demo/credentials', { forwardedFor: '203.0.113.1' })).status,
      ];
      expect(await statuses(trusting)).toEqual([200, 200, 429]);
      expect(await statuses(direct)).toEqual([200, 429, 429]);
    } finally {
      await Promise.all([trusting.close(), direct.close()]);
    }
  });
});

describe('demoLimits are validated', () => {
  it.each([
    [{ perIpBurst: 0 }, /demoLimits\.perIpBurst must be a positive integer/],
    [{ perIpPerMinute: -1 }, /demoLimits\.perIpPerMinute must be a positive number/],
    [{ maxSessions: 1.5 }, /demoLimits\.maxSessions must be a positive integer/],
  ])('%j', async (demoLimits, message) => {
    await expect(start({ demoLimits })).rejects.toThrow(message);
  });
});
