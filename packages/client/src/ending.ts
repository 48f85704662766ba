/**
 * How a connection ends: the reason `sessionDisconnected` carries, the error reported before it
 * (if any), and the status left behind. The rule: **Failed** when an established connection was
 * lost with an error (1022), **NotConnected** otherwise (our `disconnect()`, a force disconnect).
 */
import { CloseCode, type DisconnectReason } from '@parley/protocol';
import { ParleyError } from './errors.js';
import { SessionConnectionStatus } from './types.js';

/** @internal */
export interface Ending {
  /** Null when no connection was established (connect failed or was aborted): no `sessionDisconnected` then. */
  readonly reason: DisconnectReason | null;
  readonly error: ParleyError | null;
  readonly status: SessionConnectionStatus.NotConnected | SessionConnectionStatus.Failed;
}

/** `disconnect()`, a frozen page, or a page that went away (pagehide). @internal */
export const CLIENT_DISCONNECTED: Ending = {
  reason: 'clientDisconnected',
  error: null,
  status: SessionConnectionStatus.NotConnected,
};

/** `connect()` failed: no connection was established, so no `sessionDisconnected`. @internal */
export function connectFailed(error: ParleyError | null): Ending {
  return { reason: null, error, status: SessionConnectionStatus.NotConnected };
}

/** The connection could not be restored. @internal */
export function dropped(why: string, cause?: unknown): Ending {
  return {
    reason: 'networkDisconnected',
    error: ParleyError.connectionDropped(why, cause),
    status: SessionConnectionStatus.Failed,
  };
}

const WHY: Partial<Record<number, string>> = {
  [CloseCode.Normal]: 'the server closed the connection',
  [CloseCode.ProtocolError]: 'protocol error',
  [CloseCode.UnsupportedVersion]: 'the server does not speak protocol version 1',
  [CloseCode.Replaced]: 'another transport resumed this connection',
  [CloseCode.ResumeRefused]: 'the server refused to resume the connection',
  [CloseCode.BufferOverflow]: "the server's replay buffer overflowed",
  [CloseCode.Flood]: 'too many messages (rate limit)',
  [CloseCode.AuthenticationFailed]: 'authentication failed',
  [CloseCode.InvalidSession]: 'invalid session',
  [CloseCode.ConnectionLimitExceeded]: 'the session is full',
};

/** Every word of the server's close reason is already in our description ("server shutting down"). */
function restates(description: string, reason: string): boolean {
  const words = new Set(description.toLowerCase().split(/\W+/));
  return reason
    .toLowerCase()
    .split(/\W+/)
    .every((word) => word === '' || words.has(word));
}

/** A terminal close of an established connection (while connected or resuming). @internal */
export function endingForClose(code: number, reason: string): Ending {
  if (code === CloseCode.ForceDisconnected) {
    return { reason: 'forceDisconnected', error: null, status: SessionConnectionStatus.NotConnected };
  }
  const description =
    code === CloseCode.ServerShutdown ? 'the server is shutting down' : (WHY[code] ?? `closed with code ${code}`);
  // The server's reason is added only when it says something the description does not.
  const detail = restates(description, reason) ? '' : ` (${reason})`;
  const ending = dropped(`${description}${detail}`, { code, reason });
  return code === CloseCode.ServerShutdown ? { ...ending, reason: 'serverShutdown' } : ending;
}
