/**
 * The floor: a minimal broadcast server on plain `ws`. Rooms are a Map of Sets; messages are JSON;
 * writes are batched per socket per tick (strings collected, joined with "\n", sent once on
 * setImmediate), the form that measured best for `ws` (see write-batcher.ts in the server). No auth, no presence, no acks.
 */
import { createServer as createHttp } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerInfo } from './types.js';

interface Peer {
  ws: WebSocket;
  id: string;
  out: string[];
}

export async function startFloor(host: string): Promise<{ info: ServerInfo; close(): Promise<void> }> {
  const http = createHttp();
  const wss = new WebSocketServer({ server: http });
  const rooms = new Map<string, Set<Peer>>();
  const dirty: Peer[] = [];
  let scheduled = false;
  let nextId = 1;

  const flush = (): void => {
    scheduled = false;
    for (const p of dirty) {
      const frame = p.out.length === 1 ? (p.out[0] as string) : p.out.join('\n');
      p.out.length = 0;
      if (p.ws.readyState === 1) p.ws.send(frame);
    }
    dirty.length = 0;
  };
  const queue = (p: Peer, s: string): void => {
    if (p.out.length === 0) dirty.push(p);
    p.out.push(s);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  wss.on('connection', (ws, req) => {
    const room = new URL(req.url ?? '/', 'http://x').searchParams.get('room') ?? '';
    const peer: Peer = { ws, id: String(nextId++), out: [] };
    let set = rooms.get(room);
    if (!set) rooms.set(room, (set = new Set()));
    set.add(peer);
    queue(peer, '{"t":"joined"}');
    ws.on('message', (raw) => {
      let msg: { d?: unknown };
      try {
        msg = JSON.parse((raw as Buffer).toString()) as { d?: unknown };
      } catch {
        ws.close(1007);
        return;
      }
      const out = JSON.stringify({ t: 'm', from: peer.id, d: msg.d });
      for (const p of set) queue(p, out);
    });
    ws.on('close', () => {
      set.delete(peer);
      if (set.size === 0) rooms.delete(room);
    });
    ws.on('error', () => {});
  });

  await new Promise<void>((r) => http.listen(0, host, r));
  const port = (http.address() as AddressInfo).port;
  return {
    info: { system: 'floor', port, url: `http://${host}:${port}` },
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.close(() => {
          r();
        });
      }),
  };
}
