/** Client of the floor server: plain `ws`, JSON, frames may batch messages separated by "\n". */
import WebSocket from 'ws';
import type { BenchClient, ClientHooks, ClientOptions, JoinSpec } from './types.js';

export function connectFloor(spec: JoinSpec, hooks: ClientHooks, opts: ClientOptions): Promise<BenchClient> {
  const url = `ws://127.0.0.1:${spec.server.port}/?room=${encodeURIComponent(spec.room)}`;
  let ws: WebSocket;
  let closing = false;
  let joinedOnce = false;
  let id = '';
  return new Promise<BenchClient>((resolve, reject) => {
    const open = (): void => {
      ws = new WebSocket(url, { perMessageDeflate: false });
      ws.on('message', (raw) => {
        for (const part of (raw as Buffer).toString().split('\n')) {
          const m = JSON.parse(part) as { t: string; d?: string };
          if (m.t === 'm') hooks.data?.(m.d as string);
          else if (m.t === 'joined') {
            if (!joinedOnce) {
              joinedOnce = true;
              resolve(client);
            } else hooks.reconnected?.();
          }
        }
      });
      ws.on('error', (e) => {
        if (!joinedOnce) reject(e);
      });
      ws.on('close', () => {
        if (closing || !joinedOnce || !opts.reconnect) return;
        hooks.reconnecting?.();
        setImmediate(open); // the floor comes back at once: no backoff
      });
    };
    const client: BenchClient = {
      get id() {
        return id;
      },
      send: (d) => {
        if (ws.readyState === 1) ws.send(JSON.stringify({ d }));
      },
      close: () =>
        new Promise<void>((r) => {
          closing = true;
          if (ws.readyState === 3) {
            r();
            return;
          }
          ws.once('close', () => {
            r();
          });
          ws.close();
        }),
    };
    id = Math.random().toString(36).slice(2);
    open();
  });
}
