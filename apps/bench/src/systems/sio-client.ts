/** socket.io-client with transports ['websocket'], one Manager per client (forceNew). */
import { io, type Socket } from 'socket.io-client';
import type { BenchClient, ClientHooks, ClientOptions, JoinSpec } from './types.js';

export function connectSocketIo(spec: JoinSpec, hooks: ClientHooks, opts: ClientOptions): Promise<BenchClient> {
  return new Promise<BenchClient>((resolve, reject) => {
    const socket: Socket = io(spec.server.url, {
      transports: ['websocket'],
      forceNew: true,
      query: { room: spec.room },
      reconnection: opts.reconnect === true, // its default backoff when on
    });
    let joinedOnce = false;
    socket.on('m', (m: { d: string }) => hooks.data?.(m.d));
    socket.on('joined', () => {
      if (!joinedOnce) {
        joinedOnce = true;
        resolve(client);
      } else hooks.reconnected?.();
    });
    socket.on('disconnect', () => {
      if (joinedOnce) hooks.reconnecting?.();
    });
    socket.on('connect_error', (e) => {
      if (!joinedOnce) {
        socket.close();
        reject(e);
      }
    });
    const client: BenchClient = {
      get id() {
        return socket.id ?? '';
      },
      send: (d) => {
        socket.emit('b', d);
      },
      close: () =>
        new Promise<void>((r) => {
          if (!socket.connected) {
            socket.close();
            r();
            return;
          }
          socket.io.engine.once('close', () => {
            r();
          });
          socket.close();
        }),
    };
  });
}
