/**
 * The one place events leave the session: for each event the delegate method (if any) is called
 * first, then the event listeners. Both are guarded: what they throw goes to the error hook.
 */
import type { SessionEventMap, SessionEventName, TypedEmitter } from './events.js';
import type { SessionDelegate } from './session-delegate.js';

/** Events with a fixed name (everything but `signal:<type>`, which `signal` fans out to). @internal */
export type DispatchedEvent = Exclude<SessionEventName, `signal:${string}`>;

type DelegateTable = { readonly [K in DispatchedEvent]: ((d: SessionDelegate, e: SessionEventMap[K]) => void) | null };

const DELEGATE: DelegateTable = {
  sessionConnected: (d, e) => d.sessionDidConnect?.(e.target),
  sessionDisconnected: (d, e) => d.sessionDidDisconnect?.(e.target),
  sessionReconnecting: (d, e) => d.sessionDidBeginReconnecting?.(e.target),
  sessionReconnected: (d, e) => d.sessionDidReconnect?.(e.target),
  sessionError: (d, e) => d.sessionDidFailWithError?.(e.target, e.error),
  connectionStatusChanged: null,
  connectionCreated: (d, e) => d.sessionConnectionCreated?.(e.target, e.connection),
  connectionDestroyed: (d, e) => d.sessionConnectionDestroyed?.(e.target, e.connection),
  connectionReconnecting: (d, e) => d.sessionConnectionDidBeginReconnecting?.(e.target, e.connection),
  connectionReconnected: (d, e) => d.sessionConnectionDidReconnect?.(e.target, e.connection),
  streamCreated: (d, e) => d.sessionStreamCreated?.(e.target, e.stream),
  streamDestroyed: (d, e) => d.sessionStreamDestroyed?.(e.target, e.stream, e.reason),
  streamPropertyChanged: (d, e) =>
    d.sessionStreamPropertyChanged?.(e.target, e.stream, e.changedProperty, e.oldValue, e.newValue),
  muteForced: (d, e) => d.sessionMuteForced?.(e.target, e.active),
  signal: (d, e) => d.sessionReceivedSignal?.(e.target, e.type, e.from, e.data),
};

/** Send one event to the delegate, then to the listeners. @internal */
export type Dispatch = <K extends DispatchedEvent>(event: K, context: SessionEventMap[K]) => void;

/** @internal */
export function createDispatch(
  delegate: SessionDelegate | undefined,
  emitter: TypedEmitter<SessionEventMap>,
  report: (error: unknown, event: string) => void,
): Dispatch {
  return (event, context) => {
    const call = DELEGATE[event];
    if (delegate !== undefined && call !== null) {
      try {
        call(delegate, context);
      } catch (error) {
        report(error, `delegate:${event}`);
      }
    }
    emitter.emit(event, context);
    if (event === 'signal') {
      const type = (context as SessionEventMap['signal']).type;
      // WHY the prefix check: building `signal:<type>` and looking it up costs per message; most
      // apps listen to one or the other, and a session with no typed listener skips it.
      if (type !== undefined && type !== '' && emitter.hasPrefixed('signal:'))
        emitter.emit(`signal:${type}`, context as SessionEventMap['signal']);
    }
  };
}
