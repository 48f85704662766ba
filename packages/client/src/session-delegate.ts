/**
 * The OpenTok-style delegate (iOS `OTSessionDelegate`). Every method is optional. Delegate
 * methods and events come from the same internal dispatch: for each event the delegate method is
 * called first, then the event listeners.
 */
import type { StreamDestroyReason, StreamProperty, VideoDimensions } from '@parley/protocol';
import type { ParleyError } from './errors.js';
import type { Session } from './session.js';
import type { Connection, Stream } from './types.js';

/**
 * Receives the session's callbacks.
 * @example
 * const delegate: SessionDelegate = {
 *   sessionDidConnect: (s) => console.log('connected as', s.connection?.connectionId),
 *   sessionDidFailWithError: (_s, error) => console.error(error.code, error.message),
 *   sessionReceivedSignal: (_s, type, from, data) => console.log(type, from?.connectionId ?? 'server', data),
 * };
 * const session = new Session(apiKey, sessionId, delegate, { url });
 */
export interface SessionDelegate {
  sessionDidConnect?(session: Session): void;
  sessionDidDisconnect?(session: Session): void;
  /** A `connect()` failed, or an established connection was lost (called just before `sessionDidDisconnect`). */
  sessionDidFailWithError?(session: Session, error: ParleyError): void;
  sessionDidBeginReconnecting?(session: Session): void;
  sessionDidReconnect?(session: Session): void;
  /** Another client is here; never called for our own connection. */
  sessionConnectionCreated?(session: Session, connection: Connection): void;
  sessionConnectionDestroyed?(session: Session, connection: Connection): void;
  sessionStreamCreated?(session: Session, stream: Stream): void;
  sessionStreamDestroyed?(session: Session, stream: Stream, reason: StreamDestroyReason): void;
  /** A stream's property changed (`stream` already holds `newValue`). */
  sessionStreamPropertyChanged?(
    session: Session,
    stream: Stream,
    changedProperty: StreamProperty,
    oldValue: boolean | VideoDimensions,
    newValue: boolean | VideoDimensions,
  ): void;
  /** A moderator forced our audio off (`active`), or lifted a session-wide force mute. */
  sessionMuteForced?(session: Session, active: boolean): void;
  /** `connection` is null when the server (REST) sent the signal; our own for a broadcast echo. */
  sessionReceivedSignal?(
    session: Session,
    type: string | undefined,
    connection: Connection | null,
    data: string | undefined,
  ): void;
  sessionConnectionDidBeginReconnecting?(session: Session, connection: Connection): void;
  sessionConnectionDidReconnect?(session: Session, connection: Connection): void;
}
