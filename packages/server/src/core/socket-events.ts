/**
 * A connection's transport attached, and its socket events, for the endpoint (parley-endpoint.ts): only the socket
 * of the connection's current generation counts (a replaced or closed socket never touches a
 * newer transport); frames that come before `welcome` are held, a few text frames at most.
 * What an event does to the connection is the endpoint's, through {@link SocketHandlers}.
 */
import type { RawData, WebSocket } from 'ws';
import type { Connection } from './connection.js';

/** Frames a client may send before its join is answered (a client waits for `welcome`). */
const MAX_EARLY_FRAMES = 16;

export interface SocketHandlers {
  /** A frame of a connection past joining. */
  frame(c: Connection, data: RawData, isBinary: boolean): void;
  /** The client broke the rules before `welcome` (a protocol error: `why`). */
  protocolError(c: Connection, why: string): void;
  /** The current transport closed with `code`. */
  closed(c: Connection, code: number): void;
  error(c: Connection, err: Error): void;
}

/** Attach a transport: a new generation, whose socket events are the only ones that count. */
export function attachSocket(c: Connection, ws: WebSocket, now: number, handlers: SocketHandlers): void {
  const generation = ++c.generation;
  c.socket = ws;
  c.lastSeen = now;
  // A pong queued for (or unsent on) an older transport is gone with it.
  c.pongOutstanding = false;
  c.pongQueued = false;
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (c.socket !== ws) return;
    if (c.state !== 'joining') {
      handlers.frame(c, data, isBinary);
      return;
    }
    // A client should wait for `welcome`; one that does not is held to a few text frames.
    const early = (c.early ??= []);
    if (!isBinary && early.length < MAX_EARLY_FRAMES) early.push(data as Buffer);
    else handlers.protocolError(c, isBinary ? 'binary frames are not allowed' : 'too many frames before welcome');
  });
  ws.on('close', (code: number) => {
    // A stale socket (replaced, or closed by us) must never touch a newer transport.
    if (c.socket !== ws || c.generation !== generation) return;
    handlers.closed(c, code);
  });
  ws.on('error', (err) => {
    handlers.error(c, err);
  });
}
