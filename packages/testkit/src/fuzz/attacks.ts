/**
 * The hostile inputs of a fuzz run, one attempt per call: fuzzed frames on a joined socket, bad
 * handshakes (mutated query strings and tokens, random resumes), truncated upgrades, and REST
 * requests (garbage or huge bodies, wrong content types, bad auth, odd methods and paths). Each
 * attempt reports how many inputs it sent and anything the server did that it must not do.
 */
import fc from 'fast-check';
import { CloseCode, handshakeQuery, WS_PATH } from '@parley/protocol';
import { generateToken, mintRestJwt } from '@parley/server-sdk';
import { WebSocket } from 'ws';
import { clientFrameArb, encodeFrame, garbageTextArb } from './arbitraries.js';
import { mutate } from './mutate.js';
import type { Prng } from '../prng.js';
import { exchange, firstFrame, httpStatus, upgradeAnswered, upgradeRequest } from './raw.js';

/** The kinds of input, as the report counts them. */
export const ATTACK_KINDS = ['frame', 'handshake', 'truncated', 'rest'] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

/** What one attempt did. */
export interface AttemptResult {
  readonly inputs: number;
  /** Something the server must never do (a 5xx, an undocumented close code, no answer at all). */
  readonly unexpected?: string;
}

/** Where and with what to attack. */
export interface AttackTarget {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Sessions the attackers join and call (never the honest clients' session). */
  readonly sessions: readonly string[];
}

/** Closes a client may get for what it sent on a joined socket (PROTOCOL.md §Close codes). */
const FRAME_CLOSES = new Set<number>([
  CloseCode.Normal,
  CloseCode.InvalidFramePayload,
  CloseCode.MessageTooBig,
  CloseCode.ProtocolError,
  CloseCode.Flood,
]);
/**
 * Closes a refused handshake may get; and, when a mutation left bytes after the request's headers,
 * what the WebSocket layer says of those bytes read as a frame (1002, 1007, 1009).
 */
const HANDSHAKE_CLOSES = new Set<number>([
  CloseCode.WebSocketProtocolError,
  CloseCode.InvalidFramePayload,
  CloseCode.MessageTooBig,
  CloseCode.UnsupportedVersion,
  CloseCode.AuthenticationFailed,
  CloseCode.InvalidSession,
  CloseCode.ResumeRefused,
  CloseCode.ConnectionLimitExceeded,
  CloseCode.ProtocolError,
]);
const DEADLINE_MS = 10_000;

/** Pools drawn once per run from the arbitraries (fast-check sampling is too slow per input). */
export interface InputPools {
  readonly garbage: readonly string[];
  readonly frames: readonly string[];
}

/** Draw the pools for `seed`. */
export function inputPools(seed: number, size = 2000): InputPools {
  return {
    garbage: fc.sample(garbageTextArb, { seed, numRuns: size }),
    frames: fc.sample(clientFrameArb(), { seed: seed + 1, numRuns: size }).map(encodeFrame),
  };
}

const pickOf = <T>(rng: Prng, items: readonly T[]): T => items[rng.int(0, items.length - 1)] as T;

/** One frame (or binary message) to throw at a joined socket. */
function fuzzFrame(rng: Prng, pools: InputPools): string | Buffer {
  switch (
    rng.pick<number>([
      [0, 30],
      [1, 25],
      [2, 35],
      [3, 5],
      [4, 3],
      [5, 2],
    ])
  ) {
    case 0:
      return pickOf(rng, pools.garbage);
    case 1:
      return pickOf(rng, pools.frames);
    case 2:
      return mutate(rng, pickOf(rng, pools.frames), 4);
    case 3:
      return Buffer.from(Array.from({ length: rng.int(0, 64) }, () => rng.int(0, 255)));
    case 4:
      return 'x'.repeat(rng.int(256 * 1024 + 1, 1024 * 1024));
    default:
      return Array.from({ length: 300 }, () => '{"t":"ping","a":0}').join('\n');
  }
}

/** Join a fuzz session with a real token, throw 1..20 fuzzed frames, check the answer or the close. */
export async function attackFrames(rng: Prng, t: AttackTarget, pools: InputPools): Promise<AttemptResult> {
  const sessionId = pickOf(rng, t.sessions);
  const token = generateToken(t.apiKey, t.apiSecret, sessionId, { data: 'fuzzer' });
  const ws = new WebSocket(`${t.wsUrl}?${handshakeQuery({ kind: 'join', apiKey: t.apiKey, sessionId, token })}`);
  // An object: set inside a callback, which TypeScript's narrowing of a `let` does not see.
  const seen = { welcome: false };
  let ponged = (): void => {};
  const pong = new Promise<void>((resolve) => (ponged = resolve));
  ws.on('error', () => {});
  const closed = new Promise<number>((resolve) => {
    ws.on('close', (code) => {
      resolve(code);
    });
  });
  ws.on('message', (data) => {
    const text = (data as Buffer).toString('utf8');
    if (text.includes('"t":"welcome"')) seen.welcome = true;
    if (text.includes('"t":"pong"')) ponged();
  });
  const opened = await Promise.race([
    new Promise<boolean>((resolve) => {
      ws.once('open', () => {
        resolve(true);
      });
    }),
    closed.then(() => false),
    delay(DEADLINE_MS).then(() => false),
  ]);
  if (!opened) {
    ws.terminate();
    return { inputs: 0, unexpected: 'a valid join did not open' };
  }
  let inputs = 0;
  for (let i = rng.int(1, 20); i > 0 && ws.readyState === WebSocket.OPEN; i--) {
    const frame = fuzzFrame(rng, pools);
    ws.send(frame, { binary: typeof frame !== 'string' });
    inputs++;
  }
  if (ws.readyState === WebSocket.OPEN) ws.send('{"t":"ping","a":0}');
  const outcome = await Promise.race([
    closed.then((code) => ({ code })),
    pong.then(() => ({ code: -1 })),
    delay(DEADLINE_MS).then(() => ({ code: -2 })),
  ]);
  ws.terminate();
  if (outcome.code === -2) return { inputs, unexpected: `no pong and no close within ${DEADLINE_MS} ms` };
  if (outcome.code >= 0 && !FRAME_CLOSES.has(outcome.code) && !(outcome.code === 1006 && !seen.welcome)) {
    return { inputs, unexpected: `frames closed with ${outcome.code}` };
  }
  return { inputs };
}

/** An upgrade with a mutated query, token, or request line; or a random resume. */
export async function attackHandshake(rng: Prng, t: AttackTarget): Promise<AttemptResult> {
  const sessionId = pickOf(rng, t.sessions);
  const format = rng.int(0, 1) === 0 ? 'jwt' : 't1';
  let token = generateToken(t.apiKey, t.apiSecret, sessionId, {}, format);
  let query: string;
  const variant = rng.int(0, 3);
  if (variant === 0) token = mutate(rng, token, 2);
  if (variant === 3) {
    const connectionId = mutate(rng, 'c'.repeat(rng.int(1, 30)), 2);
    const resumeKey = mutate(rng, 'k'.repeat(rng.int(1, 40)), 2);
    query = handshakeQuery({
      kind: 'resume',
      apiKey: t.apiKey,
      sessionId,
      connectionId,
      resumeKey,
      ack: rng.int(0, 5),
    });
  } else {
    query = handshakeQuery({ kind: 'join', apiKey: t.apiKey, sessionId, token });
  }
  if (variant === 1) query = mutate(rng, query, 3);
  let request = upgradeRequest(`${WS_PATH}?${query}`, t.port);
  if (variant === 2) request = mutate(rng, request, 2);
  const answer = await exchange(t.port, Buffer.from(request, 'latin1'), {
    deadlineMs: DEADLINE_MS,
    enough: upgradeAnswered,
  });
  const status = httpStatus(answer.bytes);
  // A mutated request line or header can make a request the HTTP parser waits on (a lying length):
  // that is the server's request timeout to end, not a finding. Everything complete gets an answer.
  if (answer.timedOut && status === undefined && variant !== 2) {
    return { inputs: 1, unexpected: 'a handshake got no answer' };
  }
  if (status !== undefined && status >= 500) return { inputs: 1, unexpected: `a handshake got HTTP ${status}` };
  if (status === 101) {
    const frame = firstFrame(answer.bytes);
    if (frame?.closeCode !== undefined && !HANDSHAKE_CLOSES.has(frame.closeCode))
      return { inputs: 1, unexpected: `a handshake was closed with ${frame.closeCode}` };
  }
  return { inputs: 1 };
}

/** An upgrade (or any request) cut short: ended, or left hanging until we hang up. */
export async function attackTruncated(rng: Prng, t: AttackTarget): Promise<AttemptResult> {
  const sessionId = pickOf(rng, t.sessions);
  const token = generateToken(t.apiKey, t.apiSecret, sessionId);
  const request = Buffer.from(
    upgradeRequest(`${WS_PATH}?${handshakeQuery({ kind: 'join', apiKey: t.apiKey, sessionId, token })}`, t.port),
  );
  const cutAt = rng.int(0, request.length - 1);
  const answer = await exchange(t.port, request, {
    deadlineMs: rng.int(20, 300),
    end: rng.int(0, 1) === 0,
    cutAt,
  });
  const status = httpStatus(answer.bytes);
  if (status !== undefined && status >= 500) return { inputs: 1, unexpected: `a truncated request got HTTP ${status}` };
  return { inputs: 1 };
}

const CONTENT_TYPES = [
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/json; charset=latin1',
  'multipart/form-data',
  '',
];

/** A REST request with some of: a garbage or huge body, a wrong content type, bad auth, an odd method or path. */
export async function attackRest(rng: Prng, t: AttackTarget, pools: InputPools): Promise<AttemptResult> {
  const sessionId = encodeURIComponent(pickOf(rng, t.sessions));
  const project = `/v2/project/${t.apiKey}`;
  const paths = [
    '/session/create',
    `${project}/session/${sessionId}/signal`,
    `${project}/session/${sessionId}/connection/c1/signal`,
    `${project}/session/${sessionId}/connection/c1`,
    `${project}/session/${sessionId}/stream`,
    `${project}/parley/revocations`,
    `${project}/archive`,
  ];
  let path = pickOf(rng, paths);
  if (rng.int(0, 4) === 0) path = mutate(rng, path, 2).replace(/[\s]/g, '');
  const method = pickOf(rng, ['GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'BREW']);
  const validAuth = mintRestJwt(t.apiKey, t.apiSecret);
  const auth = pickOf(rng, [validAuth, validAuth, mutate(rng, validAuth, 2), '', 'Bearer x']);
  let body: Buffer;
  switch (rng.int(0, 4)) {
    case 0:
      body = Buffer.from(pickOf(rng, pools.garbage));
      break;
    case 1:
      body = Buffer.from(mutate(rng, JSON.stringify({ type: 'chat', data: 'fuzz', tokenId: 'fuzz-id' }), 3));
      break;
    case 2:
      body = Buffer.alloc(rng.int(64 * 1024, 2 * 1024 * 1024), 0x7b);
      break;
    case 3:
      body = Buffer.from(Array.from({ length: rng.int(0, 512) }, () => rng.int(0, 255)));
      break;
    default:
      body = Buffer.alloc(0);
  }
  // Now and then a Content-Length that lies; then we half-close, as a client that gave up would.
  const lies = rng.int(0, 9) === 0;
  const lengthHeader = `Content-Length: ${lies ? rng.int(0, 99999) : body.length}\r\n`;
  const head =
    `${method} ${path.replace(/[\r\n]/g, '')} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n` +
    `Content-Type: ${pickOf(rng, CONTENT_TYPES)}\r\n` +
    (auth === '' ? '' : `X-OPENTOK-AUTH: ${auth.replace(/[\r\n]/g, '')}\r\n`) +
    `${lengthHeader}Connection: close\r\n\r\n`;
  const answer = await exchange(t.port, Buffer.concat([Buffer.from(head, 'latin1'), body]), {
    deadlineMs: DEADLINE_MS,
    end: lies,
  });
  const status = httpStatus(answer.bytes);
  // 501 is documented: the OpenTok routes Parley does not implement (docs/OPENTOK-COMPATIBILITY.md).
  if (status !== undefined && status >= 500 && status !== 501) {
    return { inputs: 1, unexpected: `${method} ${path} got HTTP ${status}` };
  }
  if (status === undefined && answer.timedOut) return { inputs: 1, unexpected: `${method} ${path} got no answer` };
  return { inputs: 1 };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
