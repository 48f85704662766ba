/**
 * OpenTok-layout session IDs: "1_" + base64url("1~{apiKey}~{location}~{createTimeMs}~{random}~{P if relayed}~").
 * Parsing is pure (no Node APIs) so the browser client can check an ID before connecting.
 */
import { MAX_SESSION_ID_LENGTH } from './limits.js';

export interface ParsedSessionId {
  readonly apiKey: string;
  readonly location: string;
  readonly createTime: string;
  readonly random: string;
  readonly relayed: boolean;
}

const SESSION_ID_CHARS = /^[A-Za-z0-9_-]+$/;

function base64UrlDecode(text: string): string | null {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  try {
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Decode a session ID, or return null when it is not in OpenTok's layout.
 * Like OpenTok's SDK, the two-character prefix is not checked; field 1 is the API key.
 * @example parseSessionId(id)?.apiKey === '123456'
 */
export function parseSessionId(sessionId: string): ParsedSessionId | null {
  if (typeof sessionId !== 'string' || sessionId.length < 4 || sessionId.length > MAX_SESSION_ID_LENGTH) return null;
  if (!SESSION_ID_CHARS.test(sessionId)) return null;
  const decoded = base64UrlDecode(sessionId.slice(2));
  if (decoded === null) return null;
  const fields = decoded.split('~');
  if (fields.length < 2) return null;
  const apiKey = fields[1] ?? '';
  if (apiKey.length === 0) return null;
  return {
    apiKey,
    location: fields[2] ?? '',
    createTime: fields[3] ?? '',
    random: fields[4] ?? '',
    relayed: fields[5] === 'P',
  };
}
