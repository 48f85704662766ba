/**
 * What the REST API (and anything else outside an endpoint) may ask of the realtime sessions.
 * It goes through the session bus, so the connection may live on any node.
 */
import type { OpResult, SessionBus, StreamOp, StreamOpResult } from '../bus/session-bus.js';

export type { OpResult } from '../bus/session-bus.js';

export interface RealtimeOps {
  /**
   * Send a signal from the server (the clients see `from: null`) to every connection of the
   * session, or to one connection. Type and data are validated by the caller.
   */
  serverSignal(sessionId: string, signal: { type?: string; data?: string }, toConnectionId?: string): Promise<OpResult>;
  /** Disconnect a connection with reason `forceDisconnected` (it gets close 4012, the others connectionDestroyed). */
  forceDisconnect(sessionId: string, connectionId: string): Promise<OpResult>;
  /** A stream operation as the project (list, layout classes, force mute, force unpublish). */
  stream(sessionId: string, op: StreamOp): Promise<StreamOpResult>;
}

/**
 * The REST API's operations over a session bus.
 * @example createRestApi({ store, realtime: busOps(bus) });
 */
export function busOps(bus: SessionBus): RealtimeOps {
  return {
    serverSignal: (sessionId, signal, to) =>
      new Promise((resolve) => {
        const type = signal.type === '' ? undefined : signal.type;
        bus.signal(sessionId, { kind: 'signal', from: null, type, data: signal.data }, to ?? null, resolve);
      }),
    forceDisconnect: (sessionId, connectionId) =>
      new Promise((resolve) => {
        bus.forceDisconnect(sessionId, connectionId, 'server', resolve);
      }),
    stream: (sessionId, op) =>
      new Promise((resolve) => {
        bus.stream(sessionId, op, resolve);
      }),
  };
}
