/**
 * The Parley protocol's encoding of the bus's domain events. One slot remembers the last event
 * encoded: the request handler encodes a signal (its byte budget counts encoded bytes) and the
 * bus hands the same object back for the fan-out, so it is encoded once.
 */
import { encodeMessage } from '@parley/protocol';
import type { SessionEvent } from '../bus/session-bus.js';

/**
 * @example
 * const wire = new WireEncoder();
 * for (const c of members) deliver(c, wire.encode(event)); // encoded once
 */
export class WireEncoder {
  #event: SessionEvent | null = null;
  #encoded = '';

  encode(event: SessionEvent): string {
    if (event === this.#event) return this.#encoded;
    this.#event = event;
    this.#encoded = encodeEvent(event);
    return this.#encoded;
  }
}

/** True for the events behind capability `streams` (written only to connections granted it). */
export function isStreamEvent(e: SessionEvent): boolean {
  const k = e.kind;
  return k !== 'signal' && k !== 'nack' && k !== 'reply' && !k.startsWith('connection');
}

/** A domain event as a Parley server message. */
export function encodeEvent(e: SessionEvent): string {
  switch (e.kind) {
    case 'signal':
      return encodeMessage({ t: 'signal', from: e.from, type: e.type, data: e.data });
    case 'nack':
      return encodeMessage({ t: 'nack', r: e.r, code: e.code, message: e.message });
    case 'reply':
      return encodeMessage({ t: 'reply', r: e.r, data: e.data });
    case 'connectionCreated':
      return encodeMessage({ t: 'connectionCreated', connection: e.connection });
    case 'connectionDestroyed':
      return encodeMessage({ t: 'connectionDestroyed', connectionId: e.connectionId, reason: e.reason });
    case 'connectionReconnecting':
      return encodeMessage({ t: 'connectionReconnecting', connectionId: e.connectionId });
    case 'connectionReconnected':
      return encodeMessage({ t: 'connectionReconnected', connectionId: e.connectionId });
    case 'streamCreated':
      return encodeMessage({ t: 'streamCreated', stream: e.stream });
    case 'streamDestroyed':
      return encodeMessage({ t: 'streamDestroyed', streamId: e.streamId, reason: e.reason });
    case 'streamPropertyChanged': {
      const { streamId, changedProperty, oldValue, newValue } = e;
      return encodeMessage({ t: 'streamPropertyChanged', streamId, changedProperty, oldValue, newValue });
    }
    case 'muteForced':
      return encodeMessage({ t: 'muteForced', active: e.active, streamIds: e.streamIds });
    case 'subscriptionEnded':
      return encodeMessage({ t: 'subscriptionEnded', streamId: e.streamId, subscriberId: e.subscriberId });
    case 'media': {
      const { from, streamId, subscriberId, sdp, candidate } = e;
      return encodeMessage({ t: 'media', from, streamId, subscriberId, sdp, candidate });
    }
    default: {
      const never: never = e;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}
