/**
 * A recording {@link RealtimeOps}: tests declare which connections are "live" and read back
 * every call the REST API made.
 */
import type { StreamOp, StreamOpResult } from '../../src/bus/session-bus.js';
import type { OpResult, RealtimeOps } from '../../src/rest/realtime-ops.js';

export type RealtimeCall =
  | { op: 'serverSignal'; sessionId: string; signal: { type?: string; data?: string }; to?: string }
  | { op: 'forceDisconnect'; sessionId: string; connectionId: string }
  | { op: 'stream'; sessionId: string; stream: StreamOp };

/** Live sessions are those with at least one connection, as in the real core. */
export class FakeRealtime implements RealtimeOps {
  readonly calls: RealtimeCall[] = [];
  private readonly live = new Map<string, Set<string>>();
  /** When set, every call rejects with this error (to exercise the 500 path). */
  failWith: Error | undefined;

  connect(sessionId: string, connectionId: string): void {
    let set = this.live.get(sessionId);
    if (set === undefined) this.live.set(sessionId, (set = new Set()));
    set.add(connectionId);
  }

  serverSignal(
    sessionId: string,
    signal: { type?: string; data?: string },
    toConnectionId?: string,
  ): Promise<OpResult> {
    this.calls.push({
      op: 'serverSignal',
      sessionId,
      signal,
      ...(toConnectionId !== undefined ? { to: toConnectionId } : {}),
    });
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    const conns = this.live.get(sessionId);
    if (conns === undefined) return Promise.resolve('session-not-found');
    if (toConnectionId !== undefined && !conns.has(toConnectionId)) return Promise.resolve('connection-not-found');
    return Promise.resolve('ok');
  }

  forceDisconnect(sessionId: string, connectionId: string): Promise<OpResult> {
    this.calls.push({ op: 'forceDisconnect', sessionId, connectionId });
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    const conns = this.live.get(sessionId);
    if (conns === undefined) return Promise.resolve('session-not-found');
    if (!conns.delete(connectionId)) return Promise.resolve('connection-not-found');
    if (conns.size === 0) this.live.delete(sessionId);
    return Promise.resolve('ok');
  }

  /** No stream exists here: a list is empty, anything naming a stream is not found. */
  stream(sessionId: string, op: StreamOp): Promise<StreamOpResult> {
    this.calls.push({ op: 'stream', sessionId, stream: op });
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    if (op.op === 'list') return Promise.resolve({ ok: true, streams: [] });
    if (op.op === 'disableForceMute' || (op.op === 'forceMute' && op.streamId === undefined))
      return Promise.resolve({ ok: true });
    if (op.op === 'classes' && op.items.length === 0) return Promise.resolve({ ok: true });
    return Promise.resolve({ ok: false, error: 'stream-not-found' });
  }
}
