/**
 * Encode and decode frames. A WebSocket text frame carries one or more messages, each a JSON
 * object, separated by "\n" (JSON.stringify never emits a raw newline). Decoding client frames is
 * strict, because the server must not trust them; every failure throws a {@link ProtocolError}.
 */
import { isWireCapability, type WireCapability } from './capabilities.js';
import { DISCONNECT_REASONS, type DisconnectReason } from './codes.js';
import { MAX_MESSAGES_PER_FRAME } from './limits.js';
import type { ClientMessage, ConnectionInfo, JsonValue, ServerMessage, WelcomeMessage } from './messages.js';
import { ProtocolError } from './protocol-error.js';
import { isRole } from './roles.js';
import {
  decodeIceServers,
  decodeMediaMode,
  decodeStreamMessage,
  decodeStreamRequest,
  decodeWelcomeStreams,
} from './stream-codec.js';

/** Separator between messages batched in one frame. */
export const MESSAGE_SEPARATOR = '\n';

/** Encode one message (either direction). */
export function encodeMessage(message: ServerMessage | ClientMessage): string {
  return JSON.stringify(message);
}

/** Join already-encoded messages into one frame. */
export function joinFrame(encoded: readonly string[]): string {
  return encoded.length === 1 ? (encoded[0] as string) : encoded.join(MESSAGE_SEPARATOR);
}

type Obj = Record<string, unknown>;

function parsePart(part: string): Obj {
  let value: unknown;
  try {
    value = JSON.parse(part);
  } catch {
    throw new ProtocolError('frame is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('message is not a JSON object');
  }
  return value as Obj;
}

/**
 * The frame's messages, parsed. WHY not `split`: most frames carry one message, and a frame of
 * many is walked with `indexOf` without building an array of substrings first.
 * @param max - most messages allowed: MAX_MESSAGES_PER_FRAME for a client frame; a server frame
 *   has no such limit (the server batches a whole tick, or a whole replay, into one frame)
 */
function parseParts(frame: string, max: number): Obj[] {
  const out: Obj[] = [];
  let lines = 0;
  let start = 0;
  while (start <= frame.length) {
    let end = frame.indexOf(MESSAGE_SEPARATOR, start);
    if (end === -1) end = frame.length;
    if (++lines > max) {
      let total = lines;
      for (let i = frame.indexOf(MESSAGE_SEPARATOR, end); i !== -1; i = frame.indexOf(MESSAGE_SEPARATOR, i + 1))
        total++;
      throw new ProtocolError(`frame batches ${total} messages; at most ${MAX_MESSAGES_PER_FRAME} allowed`);
    }
    if (end > start) out.push(parsePart(start === 0 && end === frame.length ? frame : frame.slice(start, end)));
    start = end + 1;
  }
  if (out.length === 0) throw new ProtocolError('empty frame');
  return out;
}

function seq(o: Obj, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ProtocolError(`"${key}" must be a non-negative integer`);
  }
  return v;
}

function optString(o: Obj, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ProtocolError(`"${key}" must be a string`);
  return v;
}

function reqString(o: Obj, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ProtocolError(`"${key}" must be a string`);
  return v;
}

/**
 * Decode a frame a client sent. Checks structure and field types only; limits (signal type,
 * data length) are checked by the server with {@link validateSignal} so it can answer with a `nack`.
 * @throws ProtocolError
 */
export function decodeClientFrame(frame: string): ClientMessage[] {
  const messages: ClientMessage[] = [];
  for (const o of parseParts(frame, MAX_MESSAGES_PER_FRAME)) {
    switch (o.t) {
      case 'signal': {
        const type = optString(o, 'type');
        const data = optString(o, 'data');
        const to = optString(o, 'to');
        messages.push({
          t: 'signal',
          s: seq(o, 's'),
          ...(type !== undefined && { type }),
          ...(data !== undefined && { data }),
          ...(to !== undefined && { to }),
        });
        break;
      }
      case 'forceDisconnect':
        messages.push({ t: 'forceDisconnect', s: seq(o, 's'), connectionId: reqString(o, 'connectionId') });
        break;
      case 'time':
        messages.push({ t: 'time', s: seq(o, 's') });
        break;
      case 'ack':
        messages.push({ t: 'ack', a: seq(o, 'a') });
        break;
      case 'ping':
        messages.push({ t: 'ping', a: seq(o, 'a') });
        break;
      case 'bye':
        messages.push({ t: 'bye' });
        break;
      default: {
        const request = decodeStreamRequest(o);
        if (request !== undefined) {
          messages.push(request);
          break;
        }
        throw new ProtocolError(`unknown message type ${JSON.stringify(String(o.t)).slice(0, 40)}`);
      }
    }
  }
  return messages;
}

function connectionInfo(v: unknown): ConnectionInfo {
  if (typeof v !== 'object' || v === null) throw new ProtocolError('"connection" must be an object');
  const o = v as Obj;
  const creationTime = o.creationTime;
  if (typeof creationTime !== 'number') throw new ProtocolError('"creationTime" must be a number');
  return { connectionId: reqString(o, 'connectionId'), creationTime, data: reqString(o, 'data') };
}

function reason(o: Obj): DisconnectReason {
  const r = o.reason;
  if (typeof r === 'string' && (DISCONNECT_REASONS as readonly string[]).includes(r)) return r as DisconnectReason;
  throw new ProtocolError('"reason" is not a known disconnect reason');
}

/**
 * `welcome.caps`: absent (a server built before capabilities) reads as none. Names this package
 * does not know are dropped: the server only echoes what the client offered, so one can only
 * appear from a broken server, and ignoring it is the safe reading.
 */
function capabilities(v: unknown): WireCapability[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ProtocolError('"caps" must be an array');
  return v.filter(isWireCapability);
}

function num(o: Obj, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ProtocolError(`"${key}" must be a number`);
  return v;
}

/**
 * Decode a frame the server sent. Unknown fields are ignored (dropped, or passed through on the
 * fast path), so the server may add optional fields to a message without a capability; an unknown
 * message type is a ProtocolError, because sequence numbers are implicit and a client that cannot
 * tell whether a message is sequenced cannot keep its position (PROTOCOL.md §Evolution).
 * @throws ProtocolError
 */
export function decodeServerFrame(frame: string): ServerMessage[] {
  const parts = parseParts(frame, Infinity);
  const messages = parts as unknown as ServerMessage[];
  for (let i = 0; i < parts.length; i++) {
    const o = parts[i] as Obj;
    // Fast path for the hot messages, checked in place (the server is trusted to be well-formed,
    // but garbage must still be refused): a signal whose fields have the right types, or an ack,
    // is used as parsed. Anything else (a null `type`, say) is rebuilt by the strict path below.
    if (o.t === 'signal') {
      const { from, type, data } = o;
      if (
        (from === null || typeof from === 'string') &&
        (type === undefined || typeof type === 'string') &&
        (data === undefined || typeof data === 'string')
      )
        continue;
    } else if (o.t === 'ack') {
      const a = o.a;
      if (typeof a === 'number' && Number.isSafeInteger(a) && a >= 0) continue;
    }
    messages[i] = decodeServerMessage(o);
  }
  return messages;
}

function decodeServerMessage(o: Obj): ServerMessage {
  switch (o.t) {
    case 'signal': {
      const from = o.from === null ? null : reqString(o, 'from');
      const type = optString(o, 'type');
      const data = optString(o, 'data');
      return { t: 'signal', from, ...(type !== undefined && { type }), ...(data !== undefined && { data }) };
    }
    case 'ack':
      return { t: 'ack', a: seq(o, 'a') };
    case 'pong':
      return { t: 'pong' };
    case 'nack':
      return { t: 'nack', r: seq(o, 'r'), code: num(o, 'code'), message: reqString(o, 'message') };
    case 'reply': {
      // Any JSON value is a valid result; JSON.parse produced it, so it is one.
      const data = o.data as JsonValue | undefined;
      return { t: 'reply', r: seq(o, 'r'), ...(data !== undefined && { data }) };
    }
    case 'connectionCreated':
      return { t: 'connectionCreated', connection: connectionInfo(o.connection) };
    case 'connectionDestroyed':
      return { t: 'connectionDestroyed', connectionId: reqString(o, 'connectionId'), reason: reason(o) };
    case 'connectionReconnecting':
    case 'connectionReconnected':
      return { t: o.t, connectionId: reqString(o, 'connectionId') };
    case 'welcome': {
      if (o.v !== 1) throw new ProtocolError('unsupported protocol version');
      if (!isRole(o.role)) throw new ProtocolError('"role" is not a known role');
      if (!Array.isArray(o.connections)) throw new ProtocolError('"connections" must be an array');
      if (typeof o.limits !== 'object' || o.limits === null) throw new ProtocolError('"limits" must be an object');
      const limits = o.limits as Obj;
      return {
        t: 'welcome',
        v: 1,
        connection: connectionInfo(o.connection),
        role: o.role,
        connections: o.connections.map(connectionInfo),
        resumeKey: reqString(o, 'resumeKey'),
        heartbeatInterval: num(o, 'heartbeatInterval'),
        heartbeatTimeout: num(o, 'heartbeatTimeout'),
        reconnectWindow: num(o, 'reconnectWindow'),
        limits: {
          maxSignalTypeLength: num(limits, 'maxSignalTypeLength'),
          maxSignalDataLength: num(limits, 'maxSignalDataLength'),
          maxClientFrameBytes: num(limits, 'maxClientFrameBytes'),
        },
        caps: capabilities(o.caps),
        ...welcomeStreams(o),
      };
    }
    case 'resumed':
      return {
        t: 'resumed',
        ack: seq(o, 'ack'),
        next: seq(o, 'next'),
        heartbeatInterval: num(o, 'heartbeatInterval'),
        heartbeatTimeout: num(o, 'heartbeatTimeout'),
        reconnectWindow: num(o, 'reconnectWindow'),
      };
    default: {
      const stream = decodeStreamMessage(o);
      if (stream !== undefined) return stream;
      throw new ProtocolError(`unknown message type ${JSON.stringify(String(o.t)).slice(0, 40)}`);
    }
  }
}

/** The `streams` capability's fields of a welcome, each only when present. */
function welcomeStreams(o: Obj): Pick<WelcomeMessage, 'streams' | 'mediaMode' | 'iceServers'> {
  const streams = decodeWelcomeStreams(o.streams);
  const mediaMode = decodeMediaMode(o.mediaMode);
  const iceServers = decodeIceServers(o.iceServers);
  return {
    ...(streams !== undefined && { streams }),
    ...(mediaMode !== undefined && { mediaMode }),
    ...(iceServers !== undefined && { iceServers }),
  };
}
