/**
 * Helpers of the operations tests: a raw WebSocket upgrade that reports how it was refused (HTTP
 * status, headers, JSON body) or the open socket, and a pair of well-behaved SDK clients that
 * prove, round trip after round trip, that an offender changed nothing for them.
 */
import { request } from 'node:http';
import type { Session } from '@parley/client';
import { handshakeQuery, WS_PATH } from '@parley/protocol';
import { nextEvent } from '@parley/testkit';
import { WebSocket } from 'ws';
import { API_KEY, type Client, type Harness } from '../harness.js';
import { T } from '../support-opentok.js';

/** How a raw upgrade ended. */
export type Upgrade =
  | { readonly kind: 'open'; readonly ws: WebSocket }
  | { readonly kind: 'refused'; readonly status: number; readonly headers: Record<string, unknown>; readonly body: unknown };

/** Open a join WebSocket with extra request headers (X-Forwarded-For, Origin…). */
export function rawJoin(h: Harness, headers: Record<string, string> = {}, token = h.token()): Promise<Upgrade> {
  const query = handshakeQuery({ kind: 'join', apiKey: API_KEY, sessionId: h.sessionId, token });
  const url = `${h.server.wsUrl.replace(WS_PATH, '')}${WS_PATH}?${query}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      resolve({ kind: 'open', ws });
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        resolve({ kind: 'refused', status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as unknown });
      });
    });
    ws.once('error', (err) => {
      if (ws.readyState !== WebSocket.CLOSED) reject(err);
    });
  });
}

/** Close a raw socket and wait until it is closed. */
export async function closeRaw(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  ws.close();
  await closed;
}

/** One signal each way between two clients, each waited for by its receiver. */
export async function roundTrip(a: Client, b: Client, tag: string): Promise<void> {
  await pass(a.session, b, `${tag}-ab`);
  await pass(b.session, a, `${tag}-ba`);
}

async function pass(from: Session, to: Client, type: string): Promise<void> {
  const target =
    from.connections.get(to.id) ??
    (await nextEvent(from, 'connectionCreated', T, (e) => e.connection.connectionId === to.id)).connection;
  const got = nextEvent(to.session, 'signal', T, (s) => s.type === type);
  await from.signal({ type, data: type, to: target });
  const signal = await got;
  if (signal.data !== type) throw new Error(`got ${String(signal.data)} for ${type}`);
}

/** A plain HTTP GET on the harness's server: status, headers and body text. */
export function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
