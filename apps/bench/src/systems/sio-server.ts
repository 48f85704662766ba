/**
 * Socket.IO 4 with rooms: default server options except transports: ['websocket']. With a Redis
 * URL, the official Redis adapter (@socket.io/redis-adapter, over ioredis): rooms span processes.
 */
import { createServer as createHttp } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import type { ServerInfo } from './types.js';

export async function startSocketIo(
  host: string,
  redisUrl?: string,
): Promise<{ info: ServerInfo; close(): Promise<void> }> {
  const http = createHttp();
  const io = new Server(http, { transports: ['websocket'] });
  const clients: Redis[] = [];
  if (redisUrl !== undefined) {
    const pub = new Redis(redisUrl);
    const sub = pub.duplicate();
    clients.push(pub, sub);
    io.adapter(createAdapter(pub, sub));
  }
  io.on('connection', (socket) => {
    const q = socket.handshake.query['room'];
    const room = typeof q === 'string' ? q : '';
    void socket.join(room);
    socket.emit('joined');
    socket.on('b', (d: unknown) => {
      io.to(room).emit('m', { from: socket.id, d });
    });
  });
  await new Promise<void>((r) => http.listen(0, host, r));
  const port = (http.address() as AddressInfo).port;
  return {
    info: { system: 'socketio', port, url: `http://${host}:${port}` },
    close: () =>
      new Promise<void>((r) => {
        io.disconnectSockets(true);
        void io.close(() => {
          for (const c of clients) c.disconnect();
          r();
        });
      }),
  };
}
