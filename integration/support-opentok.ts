/**
 * Small helpers shared by the integration tests: promisified official SDK calls, waits and
 * checks on client sessions (`seesOthers`, `rejection`, `capabilitiesOf`), client sessions joined
 * with any token (any role), a raw protocol client over `ws` (to check what the server enforces
 * on its own), and a watch on the process for the SDK's crash paths. Every wait has a deadline;
 * nothing sleeps.
 */
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { ParleyError, Session, type Capabilities, type SessionDelegate } from '@parley/client';
import {
  decodeServerFrame,
  handshakeQuery,
  type ClientMessage,
  type ServerMessage,
  type WelcomeMessage,
} from '@parley/protocol';
import { waitFor } from '@parley/testkit';

/** Default deadline of a wait in these tests. */
export const T = 5_000;

// ------------------------------------------------------------------ official SDK

export type Cb<T> = (err: Error | null, result?: T) => void;

/** Promisify one callback-style call of the official SDK. */
export function call<T>(fn: (cb: Cb<T>) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    fn((err, result) => {
      if (err) reject(err);
      else resolve(result);
    });
  });
}

/** Promisify one SDK call whose callback carries no result (`signal`, `forceDisconnect`). */
export async function done(fn: (cb: (err: Error | null) => void) => void): Promise<void> {
  await call<unknown>(fn);
}

/** The error an SDK call reports (fails the test if it succeeds). */
export async function sdkError(fn: (cb: Cb<unknown>) => void): Promise<Error> {
  try {
    await call(fn);
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  throw new Error('expected the SDK call to report an error, but it succeeded');
}

/**
 * Records what would kill or taint the process: the SDK's crash paths (opentok@2.23.2 evaluates
 * `body.message` and `body.map` on error answers) show up as an uncaught exception or an unhandled
 * rejection. `stop()` removes the listeners.
 */
export function watchProcess(): { readonly errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const record = (e: unknown): void => void errors.push(e);
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
  return {
    errors,
    stop() {
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
    },
  };
}

// ------------------------------------------------------------------ client sessions

/** The ParleyError a promise rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<ParleyError> {
  const error = await p.then(
    () => {
      throw new Error('expected a rejection, but it resolved');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ParleyError);
  return error as ParleyError;
}

/** Just the capability flags of `c`, to compare with `capabilitiesFor(role)`. */
export function capabilitiesOf(c: Capabilities): Capabilities {
  return {
    canPublish: c.canPublish,
    canSubscribe: c.canSubscribe,
    canSignal: c.canSignal,
    canForceDisconnect: c.canForceDisconnect,
    canForceUnpublish: c.canForceUnpublish,
    canForceMute: c.canForceMute,
  };
}

/** Resolves once `session` knows exactly `n` other connections. */
export function seesOthers(session: Session, n: number, ms = T): Promise<void> {
  return waitFor(
    (resolve) => {
      const check = (): void => {
        if (session.connections.size === n) resolve();
      };
      check();
      const offCreated = session.on('connectionCreated', check);
      const offDestroyed = session.on('connectionDestroyed', check);
      return () => {
        offCreated();
        offDestroyed();
      };
    },
    ms,
    () => `${n} other connection(s) (has ${session.connections.size})`,
  );
}

export interface Joined {
  readonly session: Session;
  /** Our connection ID (kept after the session ends). */
  readonly id: string;
}

/**
 * Client sessions joined with any token (the harness's `client()` always mints a publisher
 * token), all disconnected by `cleanup()`.
 */
export class Clients {
  readonly #sessions: Session[] = [];

  constructor(
    /** The server's base URL, or the next node's (spreading the sessions over the nodes). */
    private readonly url: string | (() => string),
    private readonly apiKey: string,
  ) {}

  /** A session of `sessionId`, not connected yet. */
  create(sessionId: string, delegate?: SessionDelegate): Session {
    const url = typeof this.url === 'string' ? this.url : this.url();
    const session = new Session(this.apiKey, sessionId, delegate, { url });
    this.#sessions.push(session);
    return session;
  }

  /** Connect a new session of `sessionId` with `token`. */
  async join(sessionId: string, token: string, delegate?: SessionDelegate): Promise<Joined> {
    const session = this.create(sessionId, delegate);
    let id = '';
    session.on('sessionConnected', ({ connection }) => (id = connection.connectionId));
    await session.connect(token);
    return {
      session,
      get id() {
        return id;
      },
    };
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#sessions.map((s) => s.disconnect().catch(() => undefined)));
    this.#sessions.length = 0;
  }
}

// ------------------------------------------------------------------ raw protocol client

export interface RawClient {
  readonly welcome: WelcomeMessage;
  /** Every message received after `welcome`, in order. */
  readonly received: readonly ServerMessage[];
  send(message: ClientMessage): void;
  /** The first received message (already or later) that satisfies `match`. */
  next<M extends ServerMessage>(match: (m: ServerMessage) => m is M, ms: number, label: string): Promise<M>;
  /** Resolves with the close code once the socket is closed. */
  readonly closed: Promise<number>;
  close(): Promise<void>;
}

/**
 * Join over a bare `ws` WebSocket speaking the wire protocol by hand, so a test can send what the
 * client SDK would refuse to send. Resolves after `welcome`.
 */
export async function rawJoin(
  wsUrl: string,
  apiKey: string,
  sessionId: string,
  token: string,
  ms = T,
): Promise<RawClient> {
  const ws = new WebSocket(`${wsUrl}?${handshakeQuery({ kind: 'join', apiKey, sessionId, token })}`);
  const received: ServerMessage[] = [];
  const listeners = new Set<() => void>();
  let welcome: WelcomeMessage | undefined;
  ws.on('message', (raw: Buffer) => {
    for (const m of decodeServerFrame(raw.toString('utf8'))) {
      if (m.t === 'welcome') welcome = m;
      else received.push(m);
    }
    for (const l of [...listeners]) l();
  });
  const closed = new Promise<number>((resolve) =>
    ws.on('close', (code: number) => {
      resolve(code);
    }),
  );
  await waitFor(
    (resolve, reject) => {
      const check = (): void => {
        if (welcome !== undefined) resolve();
      };
      listeners.add(check);
      ws.on('error', reject);
      void closed.then((code) => {
        reject(new Error(`raw join closed with ${code} before welcome`));
      });
      return () => {
        listeners.delete(check);
        ws.off('error', reject);
      };
    },
    ms,
    'welcome on the raw WebSocket',
  );
  if (welcome === undefined) throw new Error('no welcome');
  const welcomed = welcome;
  return {
    welcome: welcomed,
    received,
    send: (message) => {
      ws.send(JSON.stringify(message));
    },
    next<M extends ServerMessage>(match: (m: ServerMessage) => m is M, wait: number, label: string): Promise<M> {
      return waitFor<M>(
        (resolve) => {
          const check = (): void => {
            const found = received.find(match);
            if (found !== undefined) resolve(found);
          };
          check();
          listeners.add(check);
          return () => void listeners.delete(check);
        },
        wait,
        () => `${label} on the raw WebSocket (received: ${received.map((m) => m.t).join(', ') || 'nothing'})`,
      );
    },
    closed,
    async close() {
      if (ws.readyState === WebSocket.OPEN) {
        // Leave properly: the server closes with 1000 after `bye` (a bare close would be a drop).
        ws.send(JSON.stringify({ t: 'bye' }));
        await waitFor<number>((resolve) => void closed.then(resolve), ms, 'the raw WebSocket to close');
      }
    },
  };
}
