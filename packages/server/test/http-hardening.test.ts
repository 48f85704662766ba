/**
 * Issue 8, findings 5 and 10: a request the HTTP parser refuses (garbage, oversized headers,
 * headers that never finish) gets Node's status (400, 431, 408) with the JSON `{"message"}` body,
 * and then the server destroys the socket instead of waiting for the peer's FIN forever. Real
 * server, raw sockets; the session members connected meanwhile notice nothing.
 */
import { Parley } from '@parley/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, API_SECRET, Harness, type Joined } from './support/harness.js';
import { sendAndAwaitClose, type RawAnswer } from './support/raw-http.js';

/** Headers must be complete within 300 ms; deadlines are checked every 50 ms. */
const httpTimeouts = { headersTimeout: 300, requestTimeout: 600, checkInterval: 50 };

let h: Harness;
let sessionId: string;
let a: Joined;
let b: Joined;

beforeAll(async () => {
  h = await Harness.start({ httpTimeouts });
  sessionId = await h.session();
  ({ a, b } = await h.pair(sessionId));
});

afterAll(async () => {
  await h.stop();
});

function expectJsonAnswer(answer: RawAnswer, status: number, message: RegExp): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(answer.headers.connection).toBe('close');
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  expect((JSON.parse(answer.body) as { message: string }).message).toMatch(message);
}

/** The pair in the session is still connected and still receives. */
async function sessionUndisturbed(mark: string): Promise<void> {
  await new Parley(API_KEY, API_SECRET, { apiUrl: h.server.url }).signal(sessionId, { type: 'mark', data: mark });
  for (const member of [a, b]) {
    expect(await member.client.nextOf('signal')).toMatchObject({ type: 'mark', data: mark });
    expect(member.client.closed).toBeUndefined();
  }
}

describe('a request the HTTP parser refuses', () => {
  it('garbage: 400 with a JSON message, then the socket is destroyed (50 at once)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => sendAndAwaitClose(h.server.port, 'GARBAGE NONSENSE\r\n\r\n')),
    );
    for (const answer of answers) expectJsonAnswer(answer, 400, /Malformed HTTP request \(HPE_/);
    await sessionUndisturbed('after garbage');
  });

  it('headers over the 16 KiB limit: 431 with a JSON message, then the socket is destroyed', async () => {
    const request = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    expectJsonAnswer(await sendAndAwaitClose(h.server.port, request), 431, /header fields are too large/);
    await sessionUndisturbed('after oversized headers');
  });

  it('slowloris, headers never finished: 408 with a JSON message, then the socket is destroyed (20 at once)', async () => {
    const partial = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
    const answers = await Promise.all(Array.from({ length: 20 }, () => sendAndAwaitClose(h.server.port, partial)));
    for (const answer of answers) expectJsonAnswer(answer, 408, /not received in time/);
    await sessionUndisturbed('after slowloris');
  });

  it('an honest HTTP request on its own connection is still answered', async () => {
    const res = await fetch(`${h.server.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty('message');
  });
});

describe('httpTimeouts are validated', () => {
  it('refuses a headers timeout longer than the request timeout', async () => {
    await expect(Harness.start({ httpTimeouts: { headersTimeout: 1000, requestTimeout: 500 } })).rejects.toThrow(
      /httpTimeouts\.headersTimeout \(1000\) must not exceed httpTimeouts\.requestTimeout \(500\)/,
    );
  });
});
