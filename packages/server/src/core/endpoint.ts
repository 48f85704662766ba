/**
 * The seam between the gateway (HTTP, authentication) and a node-local wire-protocol endpoint
 * (sockets, codec, sequencing, ack, replay, write batching, liveness, flow control). Membership
 * and fan-out are not here: they belong to the session bus (../bus/session-bus.ts), so nothing
 * in an endpoint assumes every connection of a session lives in this process. The Parley
 * protocol's endpoint is {@link ParleyEndpoint}; an OpenTok.js endpoint would be a second one.
 */
import type { MediaMode, ResumeParams, Role, WireCapability } from '@parley/protocol';
import type { WebSocket } from 'ws';
import type { DrainCode } from './drain.js';

/** What the gateway proved about a join before handing the socket over. */
export interface JoinGrant {
  readonly sessionId: string;
  readonly apiKey: string;
  readonly role: Role;
  /** Connection data from the token ('' when none). */
  readonly data: string;
  /** Wire capabilities granted: those the client declared that this server has (absent: none). */
  readonly caps?: readonly WireCapability[];
  /** The session's media mode from the store (absent: relayed). */
  readonly mediaMode?: MediaMode;
}

/**
 * @example
 * // in the gateway, after authentication:
 * wss.handleUpgrade(req, socket, head, (ws) => endpoint.join(ws, { sessionId, apiKey, role, data }));
 */
export interface Endpoint {
  /** Take an authenticated socket: join through the bus, send `welcome` (or refuse with 4027/4013). */
  join(ws: WebSocket, grant: JoinGrant): void;
  /** Take a resume handshake's socket: answer `resumed` and replay, or close with 4010. */
  resume(ws: WebSocket, params: ResumeParams): void;
  /** Connections held by this endpoint (connected or waiting for a resume). */
  connectionCount(): number;
  /**
   * Close every client with `code` (default 4013 ServerShutdown; 4016 NodeDraining when only this
   * node is going away), without telling the others, and stop the timers. Resolves when every
   * socket has closed (forced after 2 s).
   */
  shutdown(code?: DrainCode): Promise<void>;
}
