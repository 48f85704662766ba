/**
 * fast-check arbitraries for the wire protocol: every client and server message of the union,
 * valid by construction, and frames of them. The property tests and the live fuzz driver share them.
 */
import fc from 'fast-check';
import {
  DISCONNECT_REASONS,
  MAX_MESSAGES_PER_FRAME,
  ROLES,
  WIRE_CAPABILITIES,
  encodeMessage,
  joinFrame,
  type ClientMessage,
  type ConnectionInfo,
  type JsonValue,
  type ServerMessage,
} from '@parley/protocol';

/** A non-negative safe integer, biased to small values like real sequence numbers. */
const seq = fc.oneof(fc.nat(1000), fc.maxSafeNat());
/** Any text, including astral characters, quotes, backslashes and newlines (JSON escapes them). */
const text = fc.string({ unit: 'binary', maxLength: 64 });
// Optional fields: fc.record leaves a key out (never `undefined`) unless it is in requiredKeys.

/** Every client→server message, valid as `decodeClientFrame` reads it. */
export const clientMessageArb: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record(
    { t: fc.constant('signal' as const), s: seq, type: text, data: text, to: text },
    { requiredKeys: ['t', 's'] },
  ),
  fc.record({ t: fc.constant('forceDisconnect' as const), s: seq, connectionId: text }),
  fc.record({ t: fc.constant('time' as const), s: seq }),
  fc.record({ t: fc.constant('ack' as const), a: seq }),
  fc.record({ t: fc.constant('ping' as const), a: seq }),
  fc.constant({ t: 'bye' as const }),
);

/** A client frame: 1..n messages joined as the client joins them. */
export const clientFrameArb = (maxMessages = MAX_MESSAGES_PER_FRAME): fc.Arbitrary<ClientMessage[]> =>
  fc.array(clientMessageArb, { minLength: 1, maxLength: Math.min(maxMessages, 16) });

const connectionInfo: fc.Arbitrary<ConnectionInfo> = fc.record({
  connectionId: text,
  creationTime: fc.maxSafeNat(),
  data: text,
});
/** Any JSON value (compare round trips with the JSON-normalised message: -0 becomes 0). */
const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
const timing = fc.integer({ min: 1, max: 600_000 });

/** Every server→client message, valid as `decodeServerFrame` reads it. */
export const serverMessageArb: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record({
    t: fc.constant('welcome' as const),
    v: fc.constant(1 as const),
    connection: connectionInfo,
    role: fc.constantFrom(...ROLES),
    connections: fc.array(connectionInfo, { maxLength: 4 }),
    resumeKey: text,
    heartbeatInterval: timing,
    heartbeatTimeout: timing,
    reconnectWindow: timing,
    limits: fc.record({ maxSignalTypeLength: timing, maxSignalDataLength: timing, maxClientFrameBytes: timing }),
    caps: fc.subarray([...WIRE_CAPABILITIES]),
  }),
  fc.record({
    t: fc.constant('resumed' as const),
    ack: seq,
    next: seq,
    heartbeatInterval: timing,
    heartbeatTimeout: timing,
    reconnectWindow: timing,
  }),
  fc.constant({ t: 'pong' as const }),
  fc.record({ t: fc.constant('ack' as const), a: seq }),
  fc.record({ t: fc.constant('nack' as const), r: seq, code: fc.integer({ min: 0, max: 9999 }), message: text }),
  fc.record({ t: fc.constant('reply' as const), r: seq, data: json }, { requiredKeys: ['t', 'r'] }),
  fc.record(
    { t: fc.constant('signal' as const), from: fc.option(text, { nil: null }), type: text, data: text },
    { requiredKeys: ['t', 'from'] },
  ),
  fc.record({ t: fc.constant('connectionCreated' as const), connection: connectionInfo }),
  fc.record({
    t: fc.constant('connectionDestroyed' as const),
    connectionId: text,
    reason: fc.constantFrom(...DISCONNECT_REASONS),
  }),
  fc.record({
    t: fc.constantFrom('connectionReconnecting' as const, 'connectionReconnected' as const),
    connectionId: text,
  }),
);

/** Encode messages into one frame, as either side writes them. */
export function encodeFrame(messages: readonly (ClientMessage | ServerMessage)[]): string {
  return joinFrame(messages.map(encodeMessage));
}

/** Text that is mostly not a frame: raw strings, JSON of any shape, and objects with a known `t`. */
export const garbageTextArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc
    .record(
      {
        t: fc.oneof(
          fc.constantFrom('signal', 'forceDisconnect', 'time', 'ack', 'ping', 'bye', 'welcome'),
          fc.anything(),
        ),
        s: fc.anything(),
        a: fc.anything(),
        type: fc.anything(),
        data: fc.anything(),
        to: fc.anything(),
        connectionId: fc.anything(),
      },
      { requiredKeys: ['t'] },
    )
    .map((o) => {
      try {
        return JSON.stringify(o);
      } catch {
        return '{}'; // a BigInt from fc.anything(): not JSON at all
      }
    }),
);
