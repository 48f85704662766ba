/**
 * What the REST API (and anything else outside the realtime core) may ask of the core.
 * The core implements it; callers never assume connections live in this process.
 */

export type OpResult = 'ok' | 'session-not-found' | 'connection-not-found';

export interface RealtimeOps {
  /**
   * Send a signal from the server (the clients see `from: null`) to every connection of the
   * session, or to one connection. Type and data are validated by the caller.
   */
  serverSignal(sessionId: string, signal: { type?: string; data?: string }, toConnectionId?: string): Promise<OpResult>;
  /** Disconnect a connection with reason `forceDisconnected` (it gets close 4012, the others connectionDestroyed). */
  forceDisconnect(sessionId: string, connectionId: string): Promise<OpResult>;
}
