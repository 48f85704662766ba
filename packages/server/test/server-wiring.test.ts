import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WS_PATH } from '@parley/protocol';
import { createServer, resolveServerOptions } from '@parley/server';
import { WebSocket } from 'ws';
import { Parley } from '@parley/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, API_SECRET, Harness } from './support/harness.js';

describe('options are validated at construction, one precise message per misuse', () => {
  it.each([
    [{ port: -1 }, /port must be an integer from 0 to 65535/],
    [{ port: 1.5 }, /port must be an integer/],
    [{ host: '' }, /host must be a non-empty string/],
    [{ dataDir: '' }, /dataDir/],
    [{ projects: [{ apiKey: '', apiSecret: 's' }] }, /projects\[0\]\.apiKey/],
    [{ projects: [{ apiKey: 'k', apiSecret: '' }] }, /projects\[0\]\.apiSecret/],
    [
      {
        projects: [
          { apiKey: 'k', apiSecret: 's' },
          { apiKey: 'k', apiSecret: 't' },
        ],
      },
      /listed twice/,
    ],
    [{ timings: { heartbeatInterval: 0 } }, /timings\.heartbeatInterval must be a positive integer/],
    [{ timings: { heartbeatInterval: 5000, heartbeatTimeout: 4000 } }, /heartbeatTimeout \(4000\) must be greater/],
    [{ replay: { maxMessages: 0 } }, /replay\.maxMessages/],
    [{ signalRate: { burst: -1 } }, /signalRate\.burst/],
    [{ signalBytes: { burst: 0 } }, /signalBytes\.burst/],
    [{ sessionSignals: { bytesPerSecond: -5 } }, /sessionSignals\.bytesPerSecond/],
    [{ sessionSignals: 3 }, /sessionSignals must be an object/],
    [{ maxUnsentBytes: 1.5 }, /maxUnsentBytes must be a positive integer/],
    [{ maxConnectionsPerSession: 0 }, /maxConnectionsPerSession/],
    [{ log: 'console' }, /log must be a function/],
    [{ drain: 'cluster' }, /drain must be 'service' or 'node'/],
    [{ prot: 80 }, /unknown option "prot"/],
  ])('%j', (options, message) => {
    expect(() => resolveServerOptions(options as never)).toThrow(message);
  });

  it('createServer rejects before opening anything', async () => {
    await expect(createServer({ port: 70000 })).rejects.toThrow(/port/);
  });
});

describe('a server without projects creates a development project', () => {
  it('8-digit API key, 40-hex secret, kept in the store', async () => {
    const server = await createServer({ port: 0, dataDir: ':memory:' });
    try {
      const p = server.createdDevProject!;
      expect(p.apiKey).toMatch(/^[1-9]\d{7}$/);
      expect(p.apiSecret).toMatch(/^[0-9a-f]{40}$/);
      expect(server.projects).toEqual([p]);
      expect(await server.store.getProject(p.apiKey)).toEqual(p);
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(server.wsUrl).toBe(`ws://127.0.0.1:${server.port}/v1/ws`);
    } finally {
      await server.close();
    }
  });
});

describe('HTTP routing around the gateway', () => {
  let h: Harness;
  let sessionId: string;
  beforeAll(async () => {
    h = await Harness.start();
    sessionId = await h.session();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('GET / serves the demo page, and /demo/ its script; nothing outside public/', async () => {
    const res = await fetch(`${h.server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('/demo/demo.js');
    const script = await fetch(`${h.server.url}/demo/demo.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/text\/javascript/);
    const traversal = await fetch(`${h.server.url}/demo/..%2f..%2fpackage.json`);
    expect(traversal.status).toBe(404);
  });

  it('GET /demo/parley.browser.js serves the bundle of the @parley/client package Node resolves', async () => {
    // The same lookup an installed @parley/server makes: through the package, not a relative path.
    const manifest = createRequire(import.meta.url).resolve('@parley/client/package.json');
    const file = join(dirname(manifest), 'dist', 'parley.browser.js');
    expect(existsSync(file), `${file} is missing: run \`npm run build\` first`).toBe(true);
    const res = await fetch(`${h.server.url}/demo/parley.browser.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/javascript/);
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(file))).toBe(true);
  });

  it('unknown paths go to the REST API (404 JSON)', async () => {
    const res = await fetch(`${h.server.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty('message');
  });

  it('a plain GET of the WebSocket path is 426 JSON naming the upgrade; an upgrade elsewhere is 400', async () => {
    const res = await fetch(`${h.server.url}${WS_PATH}`);
    expect(res.status).toBe(426);
    expect(res.headers.get('upgrade')).toBe('websocket');
    expect(await res.json()).toEqual({ message: `${WS_PATH} is the WebSocket endpoint; send an upgrade request` });
    const elsewhere = new WebSocket(h.server.wsUrl.replace(WS_PATH, '/v2/ws'));
    const status = await new Promise<number | undefined>((resolve) => {
      elsewhere.on('unexpected-response', (_req, response) => {
        resolve(response.statusCode);
      });
      elsewhere.on('error', () => {
        resolve(undefined);
      });
    });
    expect(status).toBe(400);
  });

  it('without corsOrigins no CORS header is sent and a preflight is not answered', async () => {
    const res = await fetch(`${h.server.url}/nope`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a REST signal reaches the clients with from: null, and a REST forceDisconnect closes 4012', async () => {
    const a = await h.join(sessionId);
    const b = await h.join(sessionId);
    const parley = new Parley(API_KEY, API_SECRET, { apiUrl: h.server.url });
    await parley.signal(sessionId, { type: 'news', data: 'hello' });
    expect(await a.client.nextOf('signal')).toEqual({ t: 'signal', from: null, type: 'news', data: 'hello' });
    expect(await b.client.nextOf('signal')).toEqual({ t: 'signal', from: null, type: 'news', data: 'hello' });
    await parley.forceDisconnect(sessionId, b.welcome.connection.connectionId);
    expect((await b.client.close()).code).toBe(4012);
    expect(await a.client.nextOf('connectionDestroyed')).toMatchObject({ reason: 'forceDisconnected' });
  });
});

describe('CORS, with corsOrigins', () => {
  it('answers the preflight of a listed origin with 204, and adds Allow-Origin to its requests only', async () => {
    const h = await Harness.start({ corsOrigins: ['https://app.example'] });
    try {
      const preflight = await fetch(`${h.server.url}/session/create`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('X-OPENTOK-AUTH');
      const listed = await fetch(`${h.server.url}/nope`, { headers: { origin: 'https://app.example' } });
      expect(listed.status).toBe(404);
      expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example');
      const other = await fetch(`${h.server.url}/nope`, { headers: { origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      expect(other.headers.get('vary')).toBe('Origin');
    } finally {
      await h.stop();
    }
  });

  it('corsOrigins must be an array of origins', () => {
    expect(() => resolveServerOptions({ corsOrigins: 'https://app.example' as never })).toThrow(/corsOrigins must be/);
  });
});
