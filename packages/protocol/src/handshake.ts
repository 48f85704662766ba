/**
 * The WebSocket handshake URL. A join carries the token; a resume carries the resume key and the
 * client's acknowledgement position instead. See PROTOCOL.md §Handshake.
 */

/** Path of the client WebSocket endpoint. */
export const WS_PATH = '/v1/ws';

/** Protocol version a client speaks. */
export const PROTOCOL_VERSION = 1;

export interface JoinParams {
  readonly apiKey: string;
  readonly sessionId: string;
  readonly token: string;
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
  } else {
    q.set('resume', params.connectionId);
    q.set('key', params.resumeKey);
    q.set('ack', String(params.ack));
  }
  return q.toString();
}

/** Parse a handshake query; returns a string describing the problem when it is malformed. */
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
  return { kind: 'join', apiKey, sessionId, token: search.get('token') ?? '' };
}
