/**
 * A connection rebuilt on another node after its node died (docs/CLUSTER.md §Resume after a node
 * death). A cluster bus keeps, where every node reaches it, each member's identity (at its join),
 * a checkpoint (the client's acknowledged position `acked`, the log position `q` of the message
 * at it, the requests completed `hp`) and the session's log. Everything a Parley connection
 * receives is a logged event (a request's `nack`/`reply` too: SessionBus.direct), so the messages
 * after `acked` are exactly the logged events routed to the member after `q`, filtered as the
 * endpoint's deliver filters them (a stream event only with capability `streams`). The requests
 * completed are the checkpoint's and those whose log entry carries the member's request number;
 * one missing in between (its answer never reached the log) cannot be rebuilt exactly: refused.
 */
import type { ReplayBounds } from '@parley/protocol';
import type { HandoffState, LoggedEvent, MemberCheckpoint, RebuildState } from '../bus/session-bus.js';
import { Connection } from './connection.js';
import { connectionFields, type ParleyConnectionFields } from './handoff.js';
import type { SessionBudget } from './token-bucket.js';
import { encodeEvent, isStreamEvent } from './wire-events.js';

/** What a rebuild needs beyond the log: the connection's identity, written once at its join. */
interface ParleyIdentity extends ParleyConnectionFields {
  /** How long the connection may wait for its client (the reaper parks a dead node's members that long). */
  readonly windowMs: number;
}

/** The identity of a connection (SessionBus's BusListener.identity). */
export function connectionIdentity(c: Connection, windowMs: number): HandoffState {
  const identity: ParleyIdentity = { ...connectionFields(c), windowMs };
  return identity as unknown as HandoffState;
}

/**
 * Where a connection stands (BusListener.checkpoint), or null when no exact checkpoint can be
 * taken now: requests in flight (their log entries may come before the position), or the log
 * position of the acknowledged message unknown (a message the bus did not number; the
 * checkpoint every member has at its join, or an older one, stays valid meanwhile). A client that
 * acknowledged everything is checkpointed at `position`, the last message the node delivered:
 * whatever is routed to it later comes after.
 */
export function connectionCheckpoint(c: Connection | undefined, position: number): MemberCheckpoint | null {
  if (c === undefined || c.state === 'joining' || c.state === 'closed' || c.overflowed) return null;
  if (c.inFlight.length > 0) return null;
  const q = c.acked === c.sent ? position : c.ackedQ;
  if (q <= 0) return null;
  return { acked: c.acked, q, hp: c.highestProcessed, announced: c.announcedReconnecting };
}

/** True for a claim's answer that asks for a rebuild rather than carrying a handed-over state. */
export function isRebuild(state: HandoffState | RebuildState): state is RebuildState {
  return (state as Partial<RebuildState>).rebuild === true;
}

/**
 * Rebuild a detached connection, or answer why it cannot be (the resume is refused with 4010).
 * `resumeKey` is the client's, already checked by the bus against the join's hash.
 */
export function rebuildConnection(
  state: RebuildState,
  resumeKey: string,
  budget: SessionBudget,
  limits: { readonly burst: number; readonly byteBurst: number; readonly replay: Readonly<ReplayBounds> },
  now: number,
): Connection | string {
  const id = state.identity as unknown as Partial<ParleyIdentity>;
  if (
    id.protocol !== 'parley' ||
    typeof id.id !== 'string' ||
    typeof id.sessionId !== 'string' ||
    typeof id.apiKey !== 'string' ||
    typeof id.creationTime !== 'number' ||
    typeof id.data !== 'string' ||
    id.role === undefined ||
    !Array.isArray(id.caps)
  )
    return 'not a Parley connection';
  const c = new Connection(
    id.id,
    id.sessionId,
    id.apiKey,
    id.creationTime,
    id.data,
    id.role,
    resumeKey,
    budget,
    limits.burst,
    limits.byteBurst,
  );
  c.lastSeen = now;
  c.wireCaps = id.caps;
  if (id.mediaMode === 'routed') c.mediaMode = 'routed';
  if (typeof id.tokenId === 'string') c.token = { id: id.tokenId, issuedAt: id.tokenIssuedAt };
  const { acked, q, hp, announced } = state.checkpoint;
  c.acked = acked;
  c.sent = acked;
  c.ackedQ = q;
  c.announcedReconnecting = announced;
  const done = new Set<number>();
  const streams = c.wireCaps.includes('streams');
  for (const m of state.entries) replay(c, m, streams, done);
  let processed = hp;
  for (const r of done) processed = Math.max(processed, r);
  for (let r = hp + 1; r <= processed; r++)
    if (!done.has(r)) return `request ${r} of the connection is not in the session's log`;
  c.highestProcessed = processed;
  c.received = processed;
  if (c.heldCount > limits.replay.maxMessages || c.heldBytes > limits.replay.maxBytes)
    return 'replay buffer overflowed';
  c.state = 'detached';
  return c;
}

/** One logged message: held when it was routed to the connection, and the requests it completes. */
function replay(c: Connection, m: LoggedEvent, streams: boolean, done: Set<number>): void {
  const e = m.e;
  if (m.b !== undefined && m.b.c === c.id) done.add(m.b.r);
  if (e === undefined) return;
  const routed = m.t === undefined ? m.x !== c.id : m.t === c.id;
  // The same filter as the endpoint's deliver.
  if (routed && (e.kind === 'signal' || !isStreamEvent(e) || streams)) c.hold(encodeEvent(e), m.q);
  if (m.x === c.id && e.kind === 'connectionReconnecting') c.announcedReconnecting = true;
  if (m.x === c.id && e.kind === 'connectionReconnected') c.announcedReconnecting = false;
  if (e.kind === 'signal' && e.from === c.id && typeof e.r === 'number') done.add(e.r);
  if ((e.kind === 'nack' || e.kind === 'reply') && m.t === c.id) done.add(e.r);
}
