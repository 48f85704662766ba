/**
 * TLS served directly (issue 12): createServer({ tls }) answers https and wss with a certificate
 * made at test time. The official `opentok` SDK creates a session over https, the client SDK joins
 * over wss and resumes after its network drops (behind a FaultProxy), and a certificate reload
 * keeps the open connection while new handshakes get the new certificate; a bad new one is refused
 * and the old one kept. Node trusts the self-signed certificate through `ca` (the client takes a
 * `ws` subclass that passes it; the opentok SDK's node-fetch uses https.globalAgent).
 */
import { globalAgent } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import OpenTok from 'opentok';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { defaultReconnectPolicy, Session } from '@parley/client';
import { createPinoLogger, createServer, type ParleyServer } from '@parley/server';
import { FaultProxy, nextEvent, selfSignedCert, waitFor, type TestCert } from '@parley/testkit';
import { call, seesOthers, T } from './support-opentok.js';

const API_KEY = '100101';
const API_SECRET = 'tls-integration-secret';

let first: TestCert;
let second: TestCert;
beforeAll(() => {
  first = selfSignedCert('parley-first');
  second = selfSignedCert('parley-second');
  // node-fetch (the opentok SDK's HTTP client) uses the global agent: trust both test CAs there.
  globalAgent.options.ca = [first.cert, second.cert];
}, 60_000);

/** `ws` trusting both test certificates: what a Node app passes as `options.WebSocket`. */
class TrustingWebSocket extends WebSocket {
  constructor(url: string) {
    super(url, { ca: [first.cert, second.cert] });
  }
}

let server: ParleyServer | undefined;
let proxy: FaultProxy | undefined;
const sessions: Session[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.disconnect().catch(() => undefined)));
  await proxy?.close();
  await server?.close();
  server = proxy = undefined;
});

/** The SHA-256 fingerprint of the certificate a new TLS handshake with `url` gets. */
function servedFingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: hostname, port: Number(port), ca: [first.cert, second.cert] }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

async function join(url: string, ot: OpenTok, sessionId: string, name: string): Promise<Session> {
  const session = new Session(API_KEY, sessionId, undefined, {
    url,
    WebSocket: TrustingWebSocket,
    reconnectPolicy: defaultReconnectPolicy({ base: 20, cap: 200 }),
  });
  sessions.push(session);
  await session.connect(ot.generateToken(sessionId, { data: `name=${name}` }));
  return session;
}

describe('https and wss served directly', () => {
  it('REST over https with the opentok SDK; wss join, signals, and a resume after a drop', async () => {
    server = await createServer({
      port: 0,
      dataDir: ':memory:',
      projects: [{ apiKey: API_KEY, apiSecret: API_SECRET }],
      tls: { cert: first.cert, key: first.key },
      timings: { heartbeatInterval: 100, heartbeatTimeout: 400, reconnectWindow: 5_000 },
    });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.wsUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/v1\/ws$/);
    const ot = new OpenTok(API_KEY, API_SECRET, { apiUrl: server.url });
    const created = await call<OpenTok.Session>((cb) => {
      ot.createSession({ mediaMode: 'routed' }, cb);
    });
    const sessionId = created?.sessionId ?? '';
    expect(sessionId).not.toBe('');

    proxy = await FaultProxy.start({ target: { port: new URL(server.url).port } });
    const bob = await join(server.url, ot, sessionId, 'bob');
    const alice = await join(proxy.url(server.url), ot, sessionId, 'alice');
    await seesOthers(bob, 1);

    const reconnecting = nextEvent(alice, 'sessionReconnecting', T);
    proxy.cut();
    await reconnecting;
    await nextEvent(alice, 'sessionReconnected', T);
    const got = nextEvent(bob, 'signal', T, (e) => e.type === 'after-resume');
    await alice.signal({ type: 'after-resume', data: 'over wss' });
    expect((await got).data).toBe('over wss');
    // A REST signal over https reaches both.
    const fromRest = nextEvent(alice, 'signal', T, (e) => e.type === 'rest');
    await call((cb) => {
      ot.signal(sessionId, null, { type: 'rest', data: 'hi' }, cb);
    });
    expect((await fromRest).data).toBe('hi');
  });

  it('reloadTls: the open connection stays, new handshakes get the new certificate, a bad one is kept out', async () => {
    let pair: { cert: string; key: string } = { cert: first.cert, key: first.key };
    server = await createServer({
      port: 0,
      dataDir: ':memory:',
      projects: [{ apiKey: API_KEY, apiSecret: API_SECRET }],
      tls: () => pair,
    });
    const ot = new OpenTok(API_KEY, API_SECRET, { apiUrl: server.url });
    const created = await call<OpenTok.Session>((cb) => {
      ot.createSession(cb);
    });
    const sessionId = created?.sessionId ?? '';
    const a = await join(server.url, ot, sessionId, 'a');
    let aDropped = false;
    a.on('sessionReconnecting', () => {
      aDropped = true;
    });
    expect(await servedFingerprint(server.url)).toBe(first.fingerprint256);

    pair = { cert: second.cert, key: second.key };
    expect(await server.reloadTls()).toBe(true);
    expect(await servedFingerprint(server.url)).toBe(second.fingerprint256);
    // The connection made under the first certificate is still up and delivering.
    const b = await join(server.url, ot, sessionId, 'b');
    const got = nextEvent(b, 'signal', T, (e) => e.type === 'still-here');
    await a.signal({ type: 'still-here', data: 'yes' });
    expect((await got).data).toBe('yes');

    pair = { cert: second.cert, key: first.key }; // a key that does not match: refused
    expect(await server.reloadTls()).toBe(false);
    expect(await servedFingerprint(server.url)).toBe(second.fingerprint256);
    expect(server.connectionCount()).toBe(2);
    expect(aDropped).toBe(false);
  });

  it('plain HTTP sent to the TLS port gets a hint in the log', async () => {
    const lines: string[] = [];
    let wake = () => {};
    const logger = createPinoLogger('info', {
      write: (l: string) => {
        lines.push(l);
        wake();
      },
    });
    server = await createServer({ port: 0, dataDir: ':memory:', tls: { cert: first.cert, key: first.key }, logger });
    const socket = netConnect(Number(new URL(server.url).port), '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor<true>(
      (resolve) => {
        wake = () => {
          if (lines.some((l) => l.includes('spoke plain HTTP to this TLS port'))) resolve(true);
        };
        wake();
        return () => (wake = () => {});
      },
      T,
      () => `the hint; got ${lines.join('')}`,
    );
    socket.destroy();
  });

  it('a certificate and key that do not match are refused at start; the option is checked', async () => {
    await expect(
      createServer({ port: 0, dataDir: ':memory:', tls: { cert: first.cert, key: second.key } }),
    ).rejects.toThrow(/key values mismatch/);
    await expect(createServer({ port: 0, dataDir: ':memory:', tls: { cert: '' } as never })).rejects.toThrow(
      /tls must be \{ cert, key \}/,
    );
  });
});
