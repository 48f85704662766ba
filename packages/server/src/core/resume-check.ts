import { encodeMessage, type ResumeParams, type SessionTimings } from '@parley/protocol';
import type { Connection } from './connection.js';
import { safeEqual } from './ids.js';

/**
 * Why a resume must be refused (close 4010 with this reason), or null when it may proceed:
 * the connection must be live in that session, the key must match (constant-time), the buffer
 * must not have overflowed, and `ack` must be within what the server holds, [acked, sent].
 * @example const reason = resumeRefusal(byId.get(p.connectionId), p); if (reason) close(4010, reason);
 */
export function resumeRefusal(c: Connection | undefined, p: ResumeParams): string | null {
  if (c === undefined || c.state === 'closed' || c.sessionId !== p.sessionId) return 'unknown connection';
  if (p.apiKey !== '' && p.apiKey !== c.apiKey) return 'unknown connection';
  if (!safeEqual(c.resumeKey, p.resumeKey)) return 'wrong resume key';
  if (c.overflowed) return 'replay buffer overflowed';
  if (p.ack < c.acked || p.ack > c.sent) return `ack ${p.ack} is outside what the server holds [${c.acked}, ${c.sent}]`;
  return null;
}

/**
 * Queue `resumed` and the held messages after the client's `ack`, in order, for the new transport;
 * returns how many were replayed.
 */
export function queueResumed(c: Connection, p: ResumeParams, timings: SessionTimings): number {
  c.out.push(encodeMessage({ t: 'resumed', ack: c.highestProcessed, next: p.ack + 1, ...timings }));
  const held = c.heldAfter(p.ack);
  for (let i = 0; i < held.length; i++) c.out.push(held[i] as string);
  // Acks are not sequenced, so one lost with the old transport is re-sent after the replay
  // (PROTOCOL.md: "Right after the replay the server writes ack {a: resumed.ack}").
  c.ackPending = true;
  return held.length;
}
