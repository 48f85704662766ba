/**
 * The seam between the gateway (HTTP, authentication) and the realtime state (who is in which
 * session, sequencing, replay, fan-out). Today {@link InMemoryCore} implements it for one
 * process; a later issue replaces it with a Redis-backed implementation for cluster mode, so
 * nothing outside `core/` may assume every connection of a session lives in this process: ask
 * the core (through this interface or {@link RealtimeOps}), never reach into its maps.
 */
import type { ResumeParams, Role, WireCapability } from '@parley/protocol';
import type { WebSocket } from 'ws';
import type { RealtimeOps } from '../rest/realtime-ops.js';
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
}

/**
 * @example
 * // in the gateway, after authentication:
 * wss.handleUpgrade(req, socket, head, (ws) => core.join(ws, { sessionId, apiKey, role, data }));
 */
export interface RealtimeCore extends RealtimeOps {
  /** Take an authenticated socket: send `welcome`, tell the others (or refuse with 4027/4013). */
  join(ws: WebSocket, grant: JoinGrant): void;
  /** Take a resume handshake's socket: answer `resumed` and replay, or close with 4010. */
  resume(ws: WebSocket, params: ResumeParams): void;
  /** Connections held by this process (connected or waiting for a resume). */
  connectionCount(): number;
  /**
   * Close every client with `code` (default 4013 ServerShutdown; 4016 NodeDraining when only this
   * node is going away), without telling the others, and stop the timers. Resolves when every
   * socket has closed (forced after 2 s).
   */
  shutdown(code?: DrainCode): Promise<void>;
}
