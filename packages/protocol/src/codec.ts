/**
 * Encode and decode frames. A WebSocket text frame carries one or more messages, each a JSON
 * object, separated by "\n" (JSON.stringify never emits a raw newline). Decoding client frames is
 * strict, because the server must not trust them; every failure throws a {@link ProtocolError}.
 */
import { DISCONNECT_REASONS, type DisconnectReason } from './codes.js';
import { MAX_MESSAGES_PER_FRAME } from './limits.js';
import type {
  ClientMessage,
  ConnectionInfo,
  ServerMessage,
} from './messages.js';
import { ProtocolError } from './protocol-error.js';
import { isRole } from './roles.js';

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

/**
 * @param max - most messages allowed: MAX_MESSAGES_PER_FRAME for a client frame; a server frame
 *   has no such limit (the server batches a whole tick, or a whole replay, into one frame)
 */
function parseParts(frame: string, max: number): Obj[] {
  const parts = frame.split(MESSAGE_SEPARATOR);
  if (parts.length > max) {
    throw new ProtocolError(`frame batches ${parts.length} messages; at most ${MAX_MESSAGES_PER_FRAME} allowed`);
  }
  const out: Obj[] = [];
  for (const part of parts) {
    if (part.length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(part);
    } catch {
      throw new ProtocolError('frame is not JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ProtocolError('message is not a JSON object');
    }
    out.push(value as Obj);
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
      case 'ack':
        messages.push({ t: 'ack', a: seq(o, 'a') });
        break;
      case 'ping':
        messages.push({ t: 'ping', a: seq(o, 'a') });
        break;
      case 'bye':
        messages.push({ t: 'bye' });
        break;
      default:
        throw new ProtocolError(`unknown message type ${JSON.stringify(String(o.t)).slice(0, 40)}`);
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

function num(o: Obj, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ProtocolError(`"${key}" must be a number`);
  return v;
}

/**
 * Decode a frame the server sent.
 * @throws ProtocolError
 */
export function decodeServerFrame(frame: string): ServerMessage[] {
  const messages: ServerMessage[] = [];
  for (const o of parseParts(frame, Infinity)) {
    switch (o.t) {
      case 'signal': {
        const from = o.from === null ? null : reqString(o, 'from');
        const type = optString(o, 'type');
        const data = optString(o, 'data');
        messages.push({ t: 'signal', from, ...(type !== undefined && { type }), ...(data !== undefined && { data }) });
        break;
      }
      case 'ack':
        messages.push({ t: 'ack', a: seq(o, 'a') });
        break;
      case 'pong':
        messages.push({ t: 'pong' });
        break;
      case 'nack':
        messages.push({ t: 'nack', r: seq(o, 'r'), code: num(o, 'code'), message: reqString(o, 'message') });
        break;
      case 'connectionCreated':
        messages.push({ t: 'connectionCreated', connection: connectionInfo(o.connection) });
        break;
      case 'connectionDestroyed':
        messages.push({ t: 'connectionDestroyed', connectionId: reqString(o, 'connectionId'), reason: reason(o) });
        break;
      case 'connectionReconnecting':
      case 'connectionReconnected':
        messages.push({ t: o.t, connectionId: reqString(o, 'connectionId') });
        break;
      case 'welcome': {
        if (o.v !== 1) throw new ProtocolError('unsupported protocol version');
        if (!isRole(o.role)) throw new ProtocolError('"role" is not a known role');
        if (!Array.isArray(o.connections)) throw new ProtocolError('"connections" must be an array');
        if (typeof o.limits !== 'object' || o.limits === null) throw new ProtocolError('"limits" must be an object');
        const limits = o.limits as Obj;
        messages.push({
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
        });
        break;
      }
      case 'resumed':
        messages.push({
          t: 'resumed',
          ack: seq(o, 'ack'),
          next: seq(o, 'next'),
          heartbeatInterval: num(o, 'heartbeatInterval'),
          heartbeatTimeout: num(o, 'heartbeatTimeout'),
          reconnectWindow: num(o, 'reconnectWindow'),
        });
        break;
      default:
        throw new ProtocolError(`unknown message type ${JSON.stringify(String(o.t)).slice(0, 40)}`);
    }
  }
  return messages;
}
