/**
 * The WebSocket handshake URL. A join carries the token and the client's capabilities; a resume
 * carries the resume key and the client's acknowledgement position instead. See PROTOCOL.md
 * §Handshake.
 */
import {
  CAPABILITIES_PARAM,
  formatWireCapabilities,
  parseWireCapabilities,
  type WireCapability,
} from './capabilities.js';

/** Path of the client WebSocket endpoint. */
export const WS_PATH = '/v1/ws';

/** Protocol version a client speaks. */
export const PROTOCOL_VERSION = 1;

export interface JoinParams {
  readonly apiKey: string;
  readonly sessionId: string;
  readonly token: string;
  /**
   * The capabilities the client understands (PROTOCOL.md §Evolution). Absent or empty: none, as
   * for a client built before capabilities existed. A resume does not repeat them: the connection
   * keeps what its join was granted.
   */
  readonly caps?: readonly WireCapability[];
}

export interface ResumeParams {
  readonly apiKey: string;
  readonly sessionId: string;
  readonly connectionId: string;
  readonly resumeKey: string;
  /** Highest sequenced server message the client has received. */
  readonly ack: number;
}

export type HandshakeParams = ({ readonly kind: 'join' } & JoinParams) | ({ readonly kind: 'resume' } & ResumeParams);

/** Build the query string (without "?") for a handshake. */
export function handshakeQuery(params: HandshakeParams): string {
  const q = new URLSearchParams({ v: String(PROTOCOL_VERSION), apiKey: params.apiKey, sessionId: params.sessionId });
  if (params.kind === 'join') {
    q.set('token', params.token);
    if (params.caps !== undefined && params.caps.length > 0)
      q.set(CAPABILITIES_PARAM, formatWireCapabilities(params.caps));
  } else {
    q.set('resume', params.connectionId);
    q.set('key', params.resumeKey);
    q.set('ack', String(params.ack));
  }
  return q.toString();
}

/**
 * Parse a handshake query; returns a string describing the problem when it is malformed. A join's
 * `caps` is always present in the result (empty when the client declared none); capability names
 * this package does not know are dropped, never refused.
 */
export function parseHandshakeQuery(search: URLSearchParams): HandshakeParams | string {
  const v = search.get('v');
  if (v !== null && v !== String(PROTOCOL_VERSION)) return `unsupported protocol version ${v}`;
  const apiKey = search.get('apiKey') ?? '';
  const sessionId = search.get('sessionId') ?? '';
  const resume = search.get('resume');
  if (resume !== null) {
    // Decimal digits only: Number() would read a missing or empty "ack" as 0, and "0x10" as 16.
    const ackText = search.get('ack') ?? '';
    const ack = /^\d+$/.test(ackText) ? Number(ackText) : Number.NaN;
    const resumeKey = search.get('key') ?? '';
    if (!Number.isSafeInteger(ack)) return 'resume needs a non-negative integer "ack"';
    if (resumeKey === '' || resume === '') return 'resume needs "resume" and "key"';
    return { kind: 'resume', apiKey, sessionId, connectionId: resume, resumeKey, ack };
  }
  const caps = parseWireCapabilities(search.get(CAPABILITIES_PARAM));
  return { kind: 'join', apiKey, sessionId, token: search.get('token') ?? '', caps };
}
