/**
 * Issue 9 #9: one log line per join, refused join (with its reason), leave, lost transport and
 * resume, each with the WHOLE session and connection IDs (they used to be cut to a prefix that
 * every session of a project shares on a given day); and a hint when TLS reaches the plain port.
 */
import { connect } from 'node:net';
import { waitFor } from '@parley/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness, SHORT_TIMINGS, signJwt, claims, API_SECRET } from './support/harness.js';

let h: Harness;
let sessionId: string;
const lines: string[] = [];
const listeners = new Set<() => void>();

beforeEach(async () => {
  lines.length = 0;
  h = await Harness.start({
    timings: SHORT_TIMINGS,
    log: (line) => {
      lines.push(line);
      for (const l of listeners) l();
    },
  });
  sessionId = await h.session();
});
afterEach(async () => {
  await h.stop();
});

/** Wait (with a deadline) for a log line equal to `expected`, or matching it. */
function logLine(expected: string | RegExp): Promise<string> {
  const find = () => lines.find((l) => (typeof expected === 'string' ? l === expected : expected.test(l)));
  return waitFor<string>(
    (resolve) => {
      const check = () => {
        const hit = find();
        if (hit !== undefined) resolve(hit);
      };
      listeners.add(check);
      check();
      return () => listeners.delete(check);
    },
    3000,
    () => `log line ${String(expected)}; got:\n${lines.join('\n')}`,
  );
}

describe('server logs', () => {
  it('a join and a leave are logged with the whole session and connection IDs', async () => {
    const a = await h.join(sessionId, { role: 'moderator' });
    const id = a.welcome.connection.connectionId;
    await logLine(`connection ${id} joined session ${sessionId} as moderator`);
    a.client.send({ t: 'bye' });
    await logLine(`connection ${id} left session ${sessionId}: clientDisconnected (1000)`);
  });

  it('a refused join names the session and the reason', async () => {
    const bad = signJwt(claims(sessionId, { role: 'admin' }), API_SECRET);
    const c = h.connect(sessionId, bad);
    const closed = await c.close();
    const line = await logLine(/^gateway: refused join of session /);
    expect(line).toBe(`gateway: refused join of session ${sessionId}: ${closed.reason} (${closed.code})`);
  });

  it('a lost transport, a resume and a refused resume are logged', async () => {
    const { a, b, aId } = await h.pair(sessionId);
    a.client.drop();
    await logLine(`connection ${aId} of session ${sessionId} lost its transport; kept 1000 ms for a resume`);
    await b.client.nextOf('connectionReconnecting');
    const r = h.resume(sessionId, a.welcome, 1);
    await r.nextOf('resumed');
    await logLine(new RegExp(`^connection ${aId} resumed in session ${sessionId} \\(\\d+ replayed\\)$`));
    const refused = h.resume(sessionId, a.welcome, 1, 'wrong-key');
    const closed = await refused.close();
    await logLine(`resume refused: connection ${aId}: ${closed.reason} (${closed.code})`);
  });

  it('TLS spoken to the plain port gets a hint in the log', async () => {
    const port = new URL(h.server.url).port;
    const socket = connect(Number(port), '127.0.0.1');
    // The start of a TLS 1.2 ClientHello record: type 0x16 (handshake), version 3.1, length.
    socket.end(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03]));
    await logLine(/looks like TLS: use http:\/\/ and ws:\/\/, or put a TLS proxy in front/);
    socket.destroy();
  });

  it('plain garbage gets no TLS hint', async () => {
    const port = new URL(h.server.url).port;
    const socket = connect(Number(port), '127.0.0.1');
    socket.end('GARBAGE NONSENSE\r\n\r\n');
    await logLine(/^http: client error/);
    expect(lines.filter((l) => l.includes('TLS'))).toEqual([]);
    socket.destroy();
  });
});
