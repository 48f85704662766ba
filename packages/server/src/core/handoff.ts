/**
 * A Parley connection's state as plain data, to move it to another node when its client resumes
 * there (SessionBus.claim / BusListener.release). The held messages are Parley-encoded: only a
 * Parley endpoint imports them.
 */
import type { Role, WireCapability } from '@parley/protocol';
import type { HandoffState } from '../bus/session-bus.js';
import { Connection } from './connection.js';
import type { SessionBudget } from './token-bucket.js';

/** Who a Parley connection is: what both a handover and a rebuild (rebuild.ts) carry. */
export interface ParleyConnectionFields {
  readonly protocol: 'parley';
  readonly id: string;
  readonly sessionId: string;
  readonly apiKey: string;
  readonly creationTime: number;
  readonly data: string;
  readonly role: Role;
  readonly caps: readonly WireCapability[];
  readonly mediaMode?: 'relayed' | 'routed';
  /** Optional (a node built before revocation sends none): the token, for revocation by ID. */
  readonly tokenId?: string;
  readonly tokenIssuedAt?: number;
}

interface ParleyHandoff extends ParleyConnectionFields {
  readonly resumeKey: string;
  /** Sequenced messages acked+1 .. sent, oldest first. */
  readonly held: readonly string[];
  /** Optional (older nodes send none): the log position of each held message, and of `acked`. */
  readonly heldQ?: readonly number[];
  readonly ackedQ?: number;
  readonly acked: number;
  readonly sent: number;
  readonly highestProcessed: number;
  readonly announcedReconnecting: boolean;
}

/** Who `c` is, as plain data: the part of a handover that a rebuild's identity (rebuild.ts) repeats. */
export function connectionFields(c: Connection): ParleyConnectionFields {
  return {
    protocol: 'parley',
    id: c.id,
    sessionId: c.sessionId,
    apiKey: c.apiKey,
    creationTime: c.info.creationTime,
    data: c.info.data,
    role: c.role,
    caps: c.wireCaps,
    mediaMode: c.mediaMode,
    ...(c.token !== undefined && { tokenId: c.token.id }),
    ...(c.token?.issuedAt !== undefined && { tokenIssuedAt: c.token.issuedAt }),
  };
}

/** @example bus.release(...) returns exportConnection(c) */
export function exportConnection(c: Connection): HandoffState {
  const state: ParleyHandoff = {
    ...connectionFields(c),
    resumeKey: c.resumeKey,
    held: c.heldAfter(c.acked),
    heldQ: c.heldQ.slice(c.head),
    ackedQ: c.ackedQ,
    acked: c.acked,
    sent: c.sent,
    highestProcessed: c.highestProcessed,
    announcedReconnecting: c.announcedReconnecting,
  };
  return state as unknown as HandoffState;
}

/**
 * Rebuild a detached connection from {@link exportConnection}'s data, or null when it is not a
 * Parley connection's state.
 */
export function importConnection(
  state: HandoffState,
  budget: SessionBudget,
  burst: number,
  byteBurst: number,
  now: number,
): Connection | null {
  const s = state as unknown as Partial<ParleyHandoff>;
  if (
    s.protocol !== 'parley' ||
    !Array.isArray(s.held) ||
    typeof s.id !== 'string' ||
    typeof s.sessionId !== 'string' ||
    typeof s.apiKey !== 'string' ||
    typeof s.creationTime !== 'number' ||
    typeof s.data !== 'string' ||
    s.role === undefined ||
    typeof s.resumeKey !== 'string' ||
    s.caps === undefined ||
    typeof s.acked !== 'number' ||
    typeof s.sent !== 'number' ||
    typeof s.highestProcessed !== 'number'
  )
    return null;
  const c = new Connection(
    s.id,
    s.sessionId,
    s.apiKey,
    s.creationTime,
    s.data,
    s.role,
    s.resumeKey,
    budget,
    burst,
    byteBurst,
  );
  c.lastSeen = now;
  c.wireCaps = s.caps;
  if (s.mediaMode === 'routed') c.mediaMode = 'routed';
  c.acked = s.acked;
  c.sent = s.acked;
  const held = s.held as readonly string[];
  const qs: readonly number[] | null = Array.isArray(s.heldQ) && s.heldQ.length === held.length ? s.heldQ : null;
  c.ackedQ = qs !== null && typeof s.ackedQ === 'number' ? s.ackedQ : -1;
  held.forEach((m, i) => c.hold(m, qs?.[i] ?? -1));
  if (c.sent !== s.sent) return null;
  c.highestProcessed = s.highestProcessed;
  c.received = s.highestProcessed;
  c.announcedReconnecting = s.announcedReconnecting === true;
  if (typeof s.tokenId === 'string') {
    c.token = { id: s.tokenId, issuedAt: typeof s.tokenIssuedAt === 'number' ? s.tokenIssuedAt : undefined };
  }
  c.state = 'detached';
  return c;
}
