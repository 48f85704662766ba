/** Socket.IO 4 with rooms: default server options except transports: ['websocket']. */
import { createServer as createHttp } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import type { ServerInfo } from './types.js';

export async function startSocketIo(host: string): Promise<{ info: ServerInfo; close(): Promise<void> }> {
  const http = createHttp();
  const io = new Server(http, { transports: ['websocket'] });
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
          r();
        });
      }),
  };
}
