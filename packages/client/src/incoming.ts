/**
 * Where each message of an established connection goes: acknowledgement counting to the inbox,
 * verdicts to the requests, `connection*` to the roster, signals out through the dispatch. The
 * handshake messages (`welcome`, `resumed`) have no place here; the session handles those.
 */
import { isSequenced, type ServerMessage } from '@parley/protocol';
import type { Dispatch } from './dispatch.js';
import type { Inbox } from './inbox.js';
import type { Requests } from './requests.js';
import type { Roster } from './roster.js';
import type { StreamState } from './stream-state.js';
import type { Session } from './session.js';

/** The parts of a session that receive messages. @internal */
export interface Receivers {
  readonly target: Session;
  readonly inbox: Inbox;
  readonly requests: Requests;
  readonly roster: Roster;
  readonly dispatch: Dispatch;
  readonly streams: StreamState;
}

/** Deliver one message of an established connection; false for a handshake message, which breaks the protocol here. @internal */
export function deliver(message: ServerMessage, to: Receivers): boolean {
  if (message.t === 'signal') {
    // The hot path (one per signal received), ahead of the general classification below.
    to.inbox.noteSequenced();
    const from = message.from === null ? null : to.roster.sender(message.from);
    to.dispatch('signal', { target: to.target, type: message.type, data: message.data, from });
    return true;
  }
  if (isSequenced(message)) to.inbox.noteSequenced();
  switch (message.t) {
    case 'ack':
    case 'nack':
    case 'reply':
      to.requests.settle(message);
      return true;
    case 'pong':
      return true;
    case 'connectionCreated':
    case 'connectionDestroyed':
      to.roster.apply(message);
      return true;
    case 'connectionReconnecting':
    case 'connectionReconnected':
      to.roster.apply(message);
      to.streams.connectionChanged(message.connectionId, message.t === 'connectionReconnecting');
      return true;
    case 'streamCreated':
    case 'streamDestroyed':
    case 'streamPropertyChanged':
    case 'muteForced':
    case 'media':
    case 'subscriptionEnded':
      to.streams.apply(message);
      return true;
    case 'welcome':
    case 'resumed':
      return false;
  }
}
