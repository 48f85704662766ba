import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, afterEach } from 'vitest';
import OpenTok from 'opentok';
import { Parley, ParleyApiError, mintSessionId, verifyRestJwt, verifyToken } from '@parley/server-sdk';

const API_KEY = '123456';
const SECRET = 'secret';
const sessionId = mintSessionId(API_KEY, { relayed: true });

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Responder = (req: Captured, res: ServerResponse) => void;

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A real HTTP server on 127.0.0.1, port 0, that records every request. */
async function capture(respond: Responder): Promise<{ url: string; requests: Captured[] }> {
  const requests: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const captured = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(captured);
      respond(captured, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const sessionCreated: Responder = (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify([{ session_id: sessionId, project_id: API_KEY, partner_id: API_KEY, media_server_url: '' }]));
};

const noContent: Responder = (_req, res) => {
  res.writeHead(204);
  res.end();
};

function callback<T>(run: (cb: (err: Error | null, result?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    run((err, result) => {
      if (err) reject(err);
      else resolve(result);
    });
  });
}

describe('Parley constructor', () => {
  it('stores a numeric API key as a string and defaults the URL to http://127.0.0.1:8720', () => {
    const parley = new Parley(123456, SECRET);
    expect(parley.apiKey).toBe('123456');
    expect(parley.apiUrl).toBe('http://127.0.0.1:8720');
  });

  it('keeps a path prefix and drops trailing slashes of apiUrl', () => {
    expect(new Parley(API_KEY, SECRET, { apiUrl: 'https://example.com/opentok/' }).apiUrl).toBe(
      'https://example.com/opentok',
    );
    expect(new Parley(API_KEY, SECRET, { apiUrl: 'http://127.0.0.1:18765/' }).apiUrl).toBe('http://127.0.0.1:18765');
  });

  it('does not expose the secret when serialised', () => {
    expect(JSON.stringify(new Parley(API_KEY, 'hunter2'))).not.toContain('hunter2');
  });

  it.each([
    [() => new Parley('', SECRET), /apiKey must be 1 to 64 characters/],
    [() => new Parley(1.5, SECRET), 'apiKey must be a non-negative integer when a number, got 1.5'],
    [() => new Parley(API_KEY, ''), 'apiSecret must not be empty'],
    [() => new Parley(API_KEY, 42 as unknown as string), 'apiSecret must be a string, got 42'],
    [() => new Parley(API_KEY, SECRET, { apiUrl: 'not a url' }), 'apiUrl is not a valid URL: "not a url"'],
    [() => new Parley(API_KEY, SECRET, { apiUrl: 'ftp://example.com' }), 'apiUrl must be an http: or https: URL'],
    [
      () => new Parley(API_KEY, SECRET, { apiUrl: 'http://example.com/?x=1' }),
      'apiUrl must not carry credentials, a query or a fragment',
    ],
    [() => new Parley(API_KEY, SECRET, { timeoutMs: 0 }), 'timeoutMs must be a positive number, got 0'],
  ] as const)('throws a TypeError for misuse %#', (make, message) => {
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });
});

describe('Parley.generateToken', () => {
  it('mints tokens locally that verify with the project secret, JWT by default and T1 on request', () => {
    const parley = new Parley(API_KEY, SECRET);
    const jwt = parley.generateToken(sessionId, { role: 'moderator', data: 'x' });
    const t1 = parley.generateToken(sessionId, { role: 'subscriber' }, { format: 't1' });
    expect(verifyToken(jwt, SECRET)).toMatchObject({
      ok: true,
      claims: { role: 'moderator', connectionData: 'x', format: 'jwt' },
    });
    expect(t1.startsWith('T1==')).toBe(true);
    expect(verifyToken(t1, SECRET)).toMatchObject({ ok: true, claims: { role: 'subscriber', format: 't1' } });
  });

  it('throws the official SDK message for a session of another project', () => {
    expect(() => new Parley(API_KEY, SECRET).generateToken(mintSessionId('999'))).toThrow(
      'Token cannot be generated unless the session belongs to the API Key',
    );
  });
});

describe('Parley argument validation rejects before any request', () => {
  const parley = new Parley(API_KEY, SECRET, { apiUrl: 'http://127.0.0.1:1' });

  it.each([
    [{ mediaMode: 'p2p' }, "mediaMode must be 'routed' or 'relayed', got \"p2p\""],
    [{ archiveMode: 'sometimes' }, "archiveMode must be 'manual' or 'always', got \"sometimes\""],
    [{ archiveMode: 'always' }, 'A session with always archive mode must also have the routed media mode.'],
    [
      { mediaMode: 'routed', location: '999.1.1.1' },
      'Invalid arguments when calling createSession, location must be an IPv4 address',
    ],
    [{ e2ee: 'yes' }, 'e2ee must be a boolean, got "yes"'],
  ])('createSession(%j)', async (opts, message) => {
    await expect(parley.createSession(opts as never)).rejects.toThrow(new TypeError(message));
  });

  it('signal: a type of 129 characters, a bad character, data over 8192, a bad session or connection ID', async () => {
    await expect(parley.signal(sessionId, { type: 'a'.repeat(128) + 'b' })).rejects.toThrow(
      'signal type is 129 characters; at most 128 allowed',
    );
    await expect(parley.signal(sessionId, { type: 'a b' })).rejects.toThrow(TypeError);
    await expect(parley.signal(sessionId, { data: 'x'.repeat(8193) })).rejects.toThrow(
      'signal data is 8193 characters; at most 8192 allowed',
    );
    await expect(parley.signal('', { data: 'x' })).rejects.toThrow('sessionId must not be empty');
    await expect(parley.signal(sessionId, { data: 'x' }, '')).rejects.toThrow('connectionId must not be empty');
    await expect(parley.signal(sessionId, null as never)).rejects.toThrow('payload must be an object, got null');
  });

  it('forceDisconnect: a missing connection ID or a too-long session ID', async () => {
    await expect(parley.forceDisconnect(sessionId, undefined as unknown as string)).rejects.toThrow(
      'connectionId must be a string, got undefined',
    );
    await expect(parley.forceDisconnect('s'.repeat(256), 'c')).rejects.toThrow(
      'sessionId is longer than 255 characters',
    );
  });
});

describe("Parley requests have the official SDK's shape", () => {
  it('createSession posts the same form body as the official SDK, with a valid X-OPENTOK-AUTH', async () => {
    const server = await capture(sessionCreated);
    const parley = new Parley(API_KEY, SECRET, { apiUrl: server.url });
    const official = new OpenTok(API_KEY, SECRET, { apiUrl: server.url });
    const cases = [
      {},
      { mediaMode: 'routed' },
      { mediaMode: 'routed', archiveMode: 'always', location: '12.34.56.78', e2ee: true },
    ] as const;
    for (const opts of cases) {
      await expect(parley.createSession(opts)).resolves.toEqual({ sessionId });
      await callback((cb) => {
        official.createSession({ ...opts }, cb);
      });
    }
    const [ours, theirs] = [
      server.requests.filter((_, i) => i % 2 === 0),
      server.requests.filter((_, i) => i % 2 === 1),
    ];
    expect(ours.map((r) => r.body)).toEqual([
      'archiveMode=manual&p2p.preference=enabled',
      'archiveMode=manual&p2p.preference=disabled',
      'archiveMode=always&location=12.34.56.78&e2ee=true&p2p.preference=disabled',
    ]);
    expect(ours.map((r) => r.body)).toEqual(theirs.map((r) => r.body));
    for (const r of ours) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/session/create');
      expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(r.headers.accept).toBe('application/json');
      expect(verifyRestJwt(r.headers['x-opentok-auth'] as string, API_KEY, SECRET)).toEqual({ ok: true });
    }
  });

  it('signal posts the payload as JSON to the session or connection path, like the official SDK', async () => {
    const server = await capture(noContent);
    const parley = new Parley(API_KEY, SECRET, { apiUrl: `${server.url}/prefix/` });
    const official = new OpenTok(API_KEY, SECRET, { apiUrl: `${server.url}/prefix` });
    await parley.signal(sessionId, { type: 'chat', data: 'hello' });
    await callback((cb) => {
      official.signal(sessionId, null, { type: 'chat', data: 'hello' }, cb);
    });
    await parley.signal(sessionId, { data: 'hi one' }, 'conn-1');
    await callback((cb) => {
      official.signal(sessionId, 'conn-1', { data: 'hi one' }, cb);
    });
    const [a, b, c, d] = server.requests as [Captured, Captured, Captured, Captured];
    expect(a).toMatchObject({
      method: 'POST',
      url: `/prefix/v2/project/${API_KEY}/session/${sessionId}/signal`,
      body: '{"type":"chat","data":"hello"}',
    });
    expect(c).toMatchObject({
      method: 'POST',
      url: `/prefix/v2/project/${API_KEY}/session/${sessionId}/connection/conn-1/signal`,
      body: '{"data":"hi one"}',
    });
    expect([a.url, a.body, c.url, c.body]).toEqual([b.url, b.body, d.url, d.body]);
    expect(a.headers['content-type']).toBe('application/json');
    expect(verifyRestJwt(a.headers['x-opentok-auth'] as string, API_KEY, SECRET)).toEqual({ ok: true });
  });

  it('forceDisconnect sends DELETE to the connection path with no body', async () => {
    const server = await capture(noContent);
    await new Parley(API_KEY, SECRET, { apiUrl: server.url }).forceDisconnect(sessionId, 'conn-2');
    expect(server.requests[0]).toMatchObject({
      method: 'DELETE',
      url: `/v2/project/${API_KEY}/session/${sessionId}/connection/conn-2`,
      body: '',
    });
    expect(server.requests[0]!.headers['content-type']).toBeUndefined();
  });
});

describe('Parley errors', () => {
  it('surfaces the server JSON message and status as a ParleyApiError', async () => {
    const server = await capture((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"message":"session not found"}');
    });
    const error = await new Parley(API_KEY, SECRET, { apiUrl: server.url })
      .forceDisconnect(sessionId, 'c')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParleyApiError);
    expect(error).toMatchObject({ name: 'ParleyApiError', status: 404, message: 'session not found' });
  });

  it('describes an error answer without a JSON message by its status and text', async () => {
    const server = await capture((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('boom');
    });
    await expect(
      new Parley(API_KEY, SECRET, { apiUrl: server.url }).signal(sessionId, { data: 'x' }),
    ).rejects.toMatchObject({
      status: 500,
      message: expect.stringMatching(/HTTP 500: boom$/) as string,
    });
  });

  it('rejects a 200 createSession answer that holds no session_id', async () => {
    const server = await capture((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"session_id":"not-in-an-array"}');
    });
    await expect(new Parley(API_KEY, SECRET, { apiUrl: server.url }).createSession()).rejects.toMatchObject({
      status: 200,
    });
  });

  it('reports an unreachable server as status 0 with the cause attached', async () => {
    const server = await capture(noContent);
    await servers.pop()!.close();
    const error = await new Parley(API_KEY, SECRET, { apiUrl: server.url })
      .signal(sessionId, {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParleyApiError);
    expect(error).toMatchObject({ status: 0, message: expect.stringContaining('ECONNREFUSED') as string });
    expect((error as ParleyApiError).cause).toBeDefined();
  });

  it('times out a server that never answers after timeoutMs, as status 0', async () => {
    const server = await capture(() => undefined);
    await expect(
      new Parley(API_KEY, SECRET, { apiUrl: server.url, timeoutMs: 50 }).forceDisconnect(sessionId, 'c'),
    ).rejects.toMatchObject({
      status: 0,
      message: expect.stringContaining('timed out after 50 ms') as string,
    });
  });
});
