/**
 * The real @parley/client Session. The WebSocket constructor is wrapped (SessionOptions.WebSocket)
 * so the bench can see each transport the session opens: when it opened (a resume attempt), and
 * cut it (RST) or silence it (half-open) from the load side. Nothing else of the client is touched.
 */
import WebSocket from 'ws';
import { Session } from '@parley/client';
import { generateToken } from '@parley/server-sdk';
import { now } from '../lib/clock.js';
import type { BenchClient, ClientHooks, ClientOptions, JoinSpec } from './types.js';

export let sendErrors = 0;
/** Unexpected ends and drops seen by this process's Sessions (reason → count), for diagnostics. */
export const lifecycle = new Map<string, number>();
const note = (what: string): void => {
  lifecycle.set(what, (lifecycle.get(what) ?? 0) + 1);
};

/** Load-side network switch shared by every Session in this process. */
export const network = { down: false };

export interface ParleyBenchClient extends BenchClient {
  readonly session: Session;
  /** Times (now()) at which this session opened a transport that reached the server. */
  readonly attempts: number[];
  /** Abort the current transport with a TCP RST. */
  drop(): void;
  /** Half-open: keep TCP up but stop reading and writing. */
  blackhole(): void;
}

type RawSocket = { resetAndDestroy?: () => void; destroy: () => void; pause: () => void };

export function mintToken(spec: JoinSpec, data?: string): string {
  const { apiKey, apiSecret } = spec.server;
  if (!apiKey || !apiSecret) throw new Error('parley spec without credentials');
  return generateToken(apiKey, apiSecret, spec.room, data ? { data } : {});
}

export async function connectParley(
  spec: JoinSpec,
  hooks: ClientHooks,
  _opts: ClientOptions,
  token = mintToken(spec),
): Promise<ParleyBenchClient> {
  let current: WebSocket | undefined;
  const attempts: number[] = [];
  // A plain function used with `new`: returns the ws instance (or one to a closed port while the network is "down").
  const Tracked = function (this: unknown, url: string) {
    if (network.down) return new WebSocket('ws://127.0.0.1:9/down', { perMessageDeflate: false });
    attempts.push(now());
    current = new WebSocket(url, { perMessageDeflate: false });
    return current;
  } as unknown as NonNullable<ConstructorParameters<typeof Session>[3]>['WebSocket'];

  const session = new Session(
    spec.server.apiKey as string,
    spec.room,
    {
      sessionDidBeginReconnecting: () => hooks.reconnecting?.(),
      sessionDidReconnect: () => hooks.reconnected?.(),
    },
    {
      url: spec.server.url,
      WebSocket: Tracked,
      onListenerError: (e) => {
        console.error('[bench] listener threw', e);
      },
    },
  );
  let leaving = false;
  session.on('sessionReconnecting', () => {
    note('reconnecting');
  });
  session.on('sessionError', (e: { error: { code: number; message: string } }) => {
    note(`error ${e.error.code}: ${e.error.message.slice(0, 80)}`);
  });
  session.on('sessionDisconnected', (e: { reason: string }) => {
    if (!leaving) note(`disconnected: ${e.reason}`);
  });
  const { data, presence: p } = hooks;
  if (data) {
    session.on('signal', (e: { data?: string }) => {
      data(e.data ?? '');
    });
  }
  if (p) {
    session.on('connectionCreated', (e: { connection: { connectionId: string } }) => {
      p('created', e.connection.connectionId);
    });
    session.on('connectionDestroyed', (e: { connection: { connectionId: string } }) => {
      p('destroyed', e.connection.connectionId);
    });
  }
  await session.connect(token);
  const raw = (): RawSocket | undefined => (current as unknown as { _socket?: RawSocket } | undefined)?._socket;
  return {
    session,
    attempts,
    get id() {
      return session.connection?.connectionId ?? '';
    },
    send: (d) => {
      session.signal({ type: 'b', data: d }).catch(() => {
        sendErrors++;
      });
    },
    close: () => {
      leaving = true;
      return session.disconnect().catch(() => {});
    },
    drop: () => {
      const s = raw();
      if (s?.resetAndDestroy) s.resetAndDestroy();
      else s?.destroy();
    },
    blackhole: () => {
      const ws = current;
      if (!ws) return;
      raw()?.pause();
      ws.send = () => {}; // outgoing frames vanish, TCP stays up
    },
  };
}
