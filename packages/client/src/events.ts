/**
 * The typed event map of a Session and a small typed emitter (no Node EventEmitter, so the
 * browser bundle stays dependency-free). A throwing listener is reported, never rethrown.
 */
import type { ParleyError } from './errors.js';
import type { Session } from './session.js';
import type { StreamDestroyReason, StreamProperty, VideoDimensions } from '@parley/protocol';
import type { Connection, SessionConnectionStatus, SessionDisconnectReason, Stream } from './types.js';

/** Fields every event context carries. */
export interface SessionEventBase {
  /** The session that fired the event. */
  readonly target: Session;
}

/**
 * A signal received (`signal` and `signal:<type>`).
 * @example session.on('signal:chat', ({ data, from }) => append(from?.data ?? 'server', data));
 */
export interface SignalEvent extends SessionEventBase {
  /** The signal type, or undefined when it has none. */
  readonly type: string | undefined;
  /** The signal data, or undefined when it has none. */
  readonly data: string | undefined;
  /** The sender: another client, our own connection (broadcast echo), or null when the server sent it. */
  readonly from: Connection | null;
}

/**
 * Every event a Session fires and its context object.
 * @example
 * const onStatus = (e: SessionEventMap['connectionStatusChanged']) => console.log(e.previous, '→', e.status);
 */
export interface SessionEventMap {
  /** Connected (after `connectionStatusChanged` to Connected, before `connectionCreated` for those already present). */
  sessionConnected: SessionEventBase & { readonly connection: Connection };
  /** Disconnected for good; `reason` says why. */
  sessionDisconnected: SessionEventBase & { readonly reason: SessionDisconnectReason };
  /** The transport dropped; the client is resuming. */
  sessionReconnecting: SessionEventBase;
  /** The connection was resumed (same connection ID; missed messages were replayed). */
  sessionReconnected: SessionEventBase;
  /** `connect()` failed, or an established connection was lost (1022, just before `sessionDisconnected`). */
  sessionError: SessionEventBase & { readonly error: ParleyError };
  /** `session.connectionStatus` changed (already updated when this fires). */
  connectionStatusChanged: SessionEventBase & {
    readonly status: SessionConnectionStatus;
    readonly previous: SessionConnectionStatus;
  };
  /** Another client is in the session (one per client present at connect, then one per joiner). */
  connectionCreated: SessionEventBase & { readonly connection: Connection };
  /** Another client left. */
  connectionDestroyed: SessionEventBase & { readonly connection: Connection; readonly reason: SessionDisconnectReason };
  /** Another client's transport dropped; the server holds its connection. */
  connectionReconnecting: SessionEventBase & { readonly connection: Connection };
  /** That client resumed. */
  connectionReconnected: SessionEventBase & { readonly connection: Connection };
  /** Another client's stream appeared (one per stream present at connect, after the connections, then one per publish). */
  streamCreated: SessionEventBase & { readonly stream: Stream };
  /** Another client's stream ended (before its connection's `connectionDestroyed`, if it left). */
  streamDestroyed: SessionEventBase & { readonly stream: Stream; readonly reason: StreamDestroyReason };
  /** A stream's `hasAudio`, `hasVideo` or `videoDimensions` changed (ours too: `stream` is then the publisher's). */
  streamPropertyChanged: SessionEventBase & {
    readonly stream: Stream;
    readonly changedProperty: StreamProperty;
    readonly oldValue: boolean | VideoDimensions;
    readonly newValue: boolean | VideoDimensions;
  };
  /** A moderator forced our published audio off (`active: true`), or lifted a session-wide force mute (`active: false`). */
  muteForced: SessionEventBase & { readonly active: boolean };
  /** Any signal. */
  signal: SignalEvent;
  /** Signals of one type. */
  [typed: `signal:${string}`]: SignalEvent;
}

/** Names of the events a Session fires. */
export type SessionEventName = keyof SessionEventMap;

/**
 * A listener of event `K`.
 * @example const listener: SessionListener<'signal'> = ({ data }) => console.log(data);
 */
export type SessionListener<K extends SessionEventName> = (event: SessionEventMap[K]) => void;

/**
 * A typed emitter. `on` returns an unsubscribe function.
 * @example
 * const emitter = new TypedEmitter<{ tick: { n: number } }>((e) => console.error(e));
 * const off = emitter.on('tick', ({ n }) => console.log(n));
 * emitter.emit('tick', { n: 1 });
 * off();
 */
export class TypedEmitter<M extends object> {
  /**
   * Listeners per event, as arrays replaced (never changed) by `on` and `off`: `emit` iterates the
   * array it found, so a listener added or removed during an emit takes effect from the next one,
   * without copying the list on every emit (signals are emitted per message).
   */
  private readonly listeners = new Map<keyof M, readonly ((event: never) => void)[]>();
  private readonly prefixed = new Map<string, number>();

  /** @param report - receives what a listener throws */
  constructor(private readonly report: (error: unknown, event: string) => void) {}

  /** Add a listener; returns a function that removes it. */
  on<K extends keyof M>(event: K, listener: (event: M[K]) => void): () => void {
    const list = this.listeners.get(event) ?? [];
    if (!list.includes(listener)) {
      if (list.length === 0) this.count(event, 1);
      this.listeners.set(event, [...list, listener]);
    }
    return () => {
      this.off(event, listener);
    };
  }

  /** Add a listener that runs at most once; returns a function that removes it. */
  once<K extends keyof M>(event: K, listener: (event: M[K]) => void): () => void {
    const off = this.on(event, (e) => {
      off();
      listener(e);
    });
    return off;
  }

  /** Remove a listener (added with `on`; for `once`, use the function `once` returned). */
  off<K extends keyof M>(event: K, listener: (event: M[K]) => void): void {
    const list = this.listeners.get(event);
    if (list === undefined || !list.includes(listener)) return;
    if (list.length === 1) {
      this.listeners.delete(event);
      this.count(event, -1);
    } else {
      this.listeners.set(
        event,
        list.filter((l) => l !== listener),
      );
    }
  }

  /** True when some event whose name starts with `prefix` (e.g. "signal:") has a listener. */
  hasPrefixed(prefix: string): boolean {
    return (this.prefixed.get(prefix) ?? 0) > 0;
  }

  /** Call every listener of `event` in the order added; a throwing one is reported and the rest still run. */
  emit<K extends keyof M>(event: K, context: M[K]): void {
    const list = this.listeners.get(event);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) {
      try {
        (list[i] as (event: M[K]) => void)(context);
      } catch (error) {
        this.report(error, String(event));
      }
    }
  }

  /** Keep a count of events with listeners per "prefix:" (the part up to and including the first colon). */
  private count(event: keyof M, delta: number): void {
    if (typeof event !== 'string') return;
    const colon = event.indexOf(':');
    if (colon === -1) return;
    const prefix = event.slice(0, colon + 1);
    this.prefixed.set(prefix, (this.prefixed.get(prefix) ?? 0) + delta);
  }
}
