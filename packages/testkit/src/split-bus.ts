/**
 * A test-only session bus that splits one process into several "nodes": each node (a server with
 * its own endpoint) gets its own {@link SessionBus} handle, and the handles talk only through an
 * in-memory broker that delivers asynchronously, after an injectable delay, in FIFO order per
 * channel (node → broker, broker → node), like a Redis connection. What crosses a channel is
 * plain data, copied on the way (no object is shared between nodes), and every callback stays on
 * the node that made the call.
 *
 * The broker is the single point where a session's operations are accepted, one at a time, which
 * is what gives one order per session (docs/RELIABILITY.md §Ordering across nodes); a Redis bus
 * would get the same from one Lua script per operation and one channel per session.
 */
import type { ConnectionInfo, DisconnectReason, StreamInfo } from '@parley/protocol';
import {
  applyStreamOp,
  leaveStreams,
  newSessionStreams,
  streamInfos,
  type Outgoing,
  type SessionStreams,
} from '@parley/server';
import type {
  BusListener,
  ClaimCallbacks,
  DisconnectOrigin,
  HandoffState,
  JoinResult,
  OpResult,
  SessionBus,
  SessionEvent,
  SignalEvent,
  StreamOp,
  StreamOpResult,
} from '@parley/server';

/** Node → broker. */
type Op =
  | { op: 'join'; id: number; sessionId: string; connection: ConnectionInfo; resumeKey: string; max: number }
  | { op: 'claim'; id: number; sessionId: string; connectionId: string; resumeKey: string }
  | { op: 'handoff'; sessionId: string; claim: number; state: HandoffState | null }
  | { op: 'park'; sessionId: string; connectionId: string; state: HandoffState; windowMs: number }
  | { op: 'leave'; sessionId: string; connectionId: string; reason: DisconnectReason | null }
  | { op: 'announce'; sessionId: string; event: SessionEvent; except: string | null }
  | { op: 'signal'; id: number; sessionId: string; event: SignalEvent; to: string | null }
  | { op: 'forceDisconnect'; id: number; sessionId: string; connectionId: string; origin: DisconnectOrigin }
  | { op: 'stream'; id: number; sessionId: string; stream: StreamOp };

/** Broker → node. */
type Note =
  | { t: 'deliver'; sessionId: string; event: SessionEvent; except: string | null; to: string | null }
  | { t: 'disconnect'; sessionId: string; connectionId: string; origin: DisconnectOrigin }
  | { t: 'done'; id: number; result: unknown }
  | { t: 'moved'; id: number }
  | { t: 'release'; sessionId: string; connectionId: string; claim: number };

/** One direction of a link: FIFO, delivered in batches after the delay (one timer at a time). */
class Channel<T> {
  #queue: T[] = [];
  #armed = false;
  constructor(
    private readonly delay: () => number,
    private readonly receive: (item: T) => void,
  ) {}

  push(item: T): void {
    // A copy, as a network would make: nothing is shared between nodes.
    this.#queue.push(JSON.parse(JSON.stringify(item)) as T);
    if (this.#armed) return;
    this.#armed = true;
    setTimeout(this.#run, this.delay());
  }

  readonly #run = (): void => {
    this.#armed = false;
    const batch = this.#queue;
    this.#queue = [];
    for (const item of batch) this.receive(item);
  };
}

export interface SplitBusOptions {
  /** Milliseconds each batch waits on a channel. @default () => 1 */
  delay?: () => number;
}

interface Member {
  readonly info: ConnectionInfo;
  readonly resumeKey: string;
  /** The node that holds the connection (changed by a claim); null while parked. */
  node: SplitBusNode | null;
  /** The claim waiting for its old node's state, if any. */
  claim: number | null;
  /** Set while parked: its node went away; the state and the events since, for a claim. */
  parked: { state: HandoffState; events: SessionEvent[]; timer: NodeJS.Timeout } | null;
}

/**
 * @example
 * const bus = new SplitBus({ delay: () => 2 });
 * const a = await createServer({ bus: bus.node(), store });
 * const b = await createServer({ bus: bus.node(), store });
 */
export class SplitBus {
  readonly #sessions = new Map<string, Map<string, Member>>();
  /** Each session's streams (only while it has members): plain data, as a Redis bus would keep. */
  readonly #streams = new Map<string, SessionStreams>();
  readonly #delay: () => number;
  /** Claims waiting for the old node's state: claim number → the claiming node and its call id. */
  readonly #claims = new Map<number, { node: SplitBusNode; id: number; sessionId: string; connectionId: string }>();
  #nextClaim = 1;

  constructor(options: SplitBusOptions = {}) {
    this.#delay = options.delay ?? (() => 1);
  }

  /** A new node's handle (give it to one server). */
  node(): SessionBus {
    return new SplitBusNode(this.#delay, (from, op) => {
      this.#apply(from, op);
    });
  }

  /** Members of a session, by the broker's books (for tests). */
  members(sessionId: string): string[] {
    return [...(this.#sessions.get(sessionId)?.keys() ?? [])];
  }

  /** Accept one operation: the single point that orders a session's events. */
  #apply(from: SplitBusNode, o: Op): void {
    const session = this.#sessions.get(o.sessionId);
    switch (o.op) {
      case 'join': {
        if (session !== undefined && session.size >= o.max) {
          from.note({ t: 'done', id: o.id, result: 'full' });
          return;
        }
        const roster = session === undefined ? [] : [...session.values()].map((m) => m.info);
        const members = session ?? new Map<string, Member>();
        this.#sessions.set(o.sessionId, members);
        members.set(o.connection.connectionId, {
          info: o.connection,
          resumeKey: o.resumeKey,
          node: from,
          claim: null,
          parked: null,
        });
        from.note({ t: 'done', id: o.id, result: { roster, streams: streamInfos(this.#streams.get(o.sessionId)) } });
        const event: SessionEvent = { kind: 'connectionCreated', connection: o.connection };
        this.#broadcast(members, o.sessionId, event, o.connection.connectionId);
        return;
      }
      case 'leave': {
        const member = session?.get(o.connectionId);
        if (session === undefined || member === undefined) return;
        this.#leaveStreams(session, o.sessionId, o.connectionId, o.reason);
        session.delete(o.connectionId);
        if (member.parked !== null) clearTimeout(member.parked.timer);
        if (session.size === 0) this.#forget(o.sessionId);
        else if (o.reason !== null) {
          const event: SessionEvent = { kind: 'connectionDestroyed', connectionId: o.connectionId, reason: o.reason };
          this.#broadcast(session, o.sessionId, event, null);
        }
        return;
      }
      case 'announce':
        // Nothing from a connection after its leave.
        if (session === undefined || (o.except !== null && !session.has(o.except))) return;
        this.#broadcast(session, o.sessionId, o.event, o.except);
        return;
      case 'signal': {
        if (session === undefined) {
          from.note({ t: 'done', id: o.id, result: 'session-not-found' });
          return;
        }
        const target = o.to === null ? undefined : session.get(o.to);
        if ((o.event.from !== null && !session.has(o.event.from)) || (o.to !== null && target === undefined)) {
          from.note({ t: 'done', id: o.id, result: 'connection-not-found' });
          return;
        }
        if (target === undefined) this.#broadcast(session, o.sessionId, o.event, null);
        else if (target.parked !== null) target.parked.events.push(o.event);
        else target.node?.note({ t: 'deliver', sessionId: o.sessionId, event: o.event, except: null, to: o.to });
        from.note({ t: 'done', id: o.id, result: 'ok' });
        return;
      }
      case 'claim': {
        const member = session?.get(o.connectionId);
        // (A real bus compares a hash of the key, in constant time.)
        if (member === undefined || member.resumeKey !== o.resumeKey || member.node === from) {
          from.note({ t: 'done', id: o.id, result: null });
          return;
        }
        // From here on the member's events go to the claiming node; the old node's state holds
        // every event before this point (its channel is FIFO: the release comes after them).
        const old = member.node;
        const parked = member.parked;
        member.node = from;
        member.parked = null;
        from.note({ t: 'moved', id: o.id });
        if (parked !== null) {
          // Its node is gone: the bus kept the state and the events since.
          clearTimeout(parked.timer);
          for (const event of parked.events) {
            from.note({ t: 'deliver', sessionId: o.sessionId, event, except: null, to: o.connectionId });
          }
          from.note({ t: 'done', id: o.id, result: parked.state });
          return;
        }
        const claim = this.#nextClaim++;
        this.#claims.set(claim, { node: from, id: o.id, sessionId: o.sessionId, connectionId: o.connectionId });
        member.claim = claim;
        old?.note({ t: 'release', sessionId: o.sessionId, connectionId: o.connectionId, claim });
        return;
      }
      case 'handoff':
        this.#answerClaim(o.claim, o.state);
        return;
      case 'park': {
        const member = session?.get(o.connectionId);
        if (session === undefined || member === undefined) return;
        if (member.claim !== null) {
          // Claimed by another node before the park arrived: the parked state is the answer (its
          // events since the claim already went to the claiming node).
          this.#answerClaim(member.claim, o.state);
          return;
        }
        member.node = null;
        const timer = setTimeout(() => {
          // Nobody claimed it within the window: it leaves, as an expired connection does.
          if (member.parked === null || session.get(o.connectionId) !== member) return;
          this.#apply(from, {
            op: 'leave',
            sessionId: o.sessionId,
            connectionId: o.connectionId,
            reason: 'networkDisconnected',
          });
        }, o.windowMs);
        timer.unref();
        member.parked = { state: o.state, events: [], timer };
        return;
      }
      case 'forceDisconnect': {
        const member = session?.get(o.connectionId);
        if (session === undefined || member === undefined) {
          const result = session === undefined ? 'session-not-found' : 'connection-not-found';
          from.note({ t: 'done', id: o.id, result });
          return;
        }
        this.#leaveStreams(session, o.sessionId, o.connectionId, 'forceDisconnected');
        session.delete(o.connectionId);
        if (member.parked !== null) clearTimeout(member.parked.timer);
        member.node?.note({ t: 'disconnect', sessionId: o.sessionId, connectionId: o.connectionId, origin: o.origin });
        if (session.size === 0) this.#forget(o.sessionId);
        else {
          const reason = 'forceDisconnected';
          const event: SessionEvent = { kind: 'connectionDestroyed', connectionId: o.connectionId, reason };
          this.#broadcast(session, o.sessionId, event, null);
        }
        from.note({ t: 'done', id: o.id, result: 'ok' });
        return;
      }
      case 'stream':
        this.#stream(from, o.id, o.sessionId, o.stream);
        return;
    }
  }

  #stream(from: SplitBusNode, id: number, sessionId: string, op: StreamOp): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) {
      const result: StreamOpResult =
        op.op === 'list' ? { ok: true, streams: [] } : { ok: false, error: 'session-not-found' };
      from.note({ t: 'done', id, result });
      return;
    }
    let state = this.#streams.get(sessionId);
    if (state === undefined) this.#streams.set(sessionId, (state = newSessionStreams()));
    const { result, out } = applyStreamOp(state, op, (c) => session.has(c));
    this.#send(session, sessionId, out);
    from.note({ t: 'done', id, result });
  }

  #leaveStreams(
    session: Map<string, Member>,
    sessionId: string,
    connectionId: string,
    reason: DisconnectReason | null,
  ): void {
    const state = this.#streams.get(sessionId);
    if (state !== undefined) this.#send(session, sessionId, leaveStreams(state, connectionId, reason));
  }

  #forget(sessionId: string): void {
    this.#sessions.delete(sessionId);
    this.#streams.delete(sessionId);
  }

  /** Deliver a stream operation's events: broadcasts, and directed ones to their member's node (or its parking). */
  #send(session: Map<string, Member>, sessionId: string, out: readonly Outgoing[]): void {
    for (const o of out) {
      if (o.to === null) {
        this.#broadcast(session, sessionId, o.event, o.except);
        continue;
      }
      const target = session.get(o.to);
      if (target?.parked != null) target.parked.events.push(o.event);
      else target?.node?.note({ t: 'deliver', sessionId, event: o.event, except: null, to: o.to });
    }
  }

  /** The old node's answer to a claim (the first one counts: a park may come before a release's null). */
  #answerClaim(claim: number, state: HandoffState | null): void {
    const waiting = this.#claims.get(claim);
    if (waiting === undefined) return;
    this.#claims.delete(claim);
    const member = this.#sessions.get(waiting.sessionId)?.get(waiting.connectionId);
    if (member !== undefined && member.claim === claim) member.claim = null;
    waiting.node.note({ t: 'done', id: waiting.id, result: state });
  }

  /** One note per node that holds a member of the session (each endpoint fans out to its own). */
  #broadcast(session: Map<string, Member>, sessionId: string, event: SessionEvent, except: string | null): void {
    const nodes = new Set<SplitBusNode>();
    for (const [id, m] of session) {
      if (m.node !== null) nodes.add(m.node);
      else if (m.parked !== null && id !== except) m.parked.events.push(event);
    }
    for (const node of nodes) node.note({ t: 'deliver', sessionId, event, except, to: null });
  }
}

/** One node's handle: calls go to the broker, answers and events come back, each after the delay. */
class SplitBusNode implements SessionBus {
  #listener: BusListener | undefined;
  #nextId = 1;
  readonly #waiting = new Map<number, (result: never) => void>();
  readonly #moved = new Map<number, () => void>();
  readonly #up: Channel<Op>;
  readonly #down: Channel<Note>;

  constructor(delay: () => number, apply: (from: SplitBusNode, op: Op) => void) {
    this.#up = new Channel<Op>(delay, (op) => {
      apply(this, op);
    });
    this.#down = new Channel<Note>(delay, (n) => {
      this.#receive(n);
    });
  }

  note(n: Note): void {
    this.#down.push(n);
  }

  listen(listener: BusListener): void {
    if (this.#listener !== undefined) throw new Error('a split-bus node serves one endpoint');
    this.#listener = listener;
  }

  join(
    sessionId: string,
    connection: ConnectionInfo,
    resumeKey: string,
    max: number,
    done: (r: JoinResult, streams?: readonly StreamInfo[]) => void,
  ): void {
    const answer = (r: 'full' | { roster: ConnectionInfo[]; streams: StreamInfo[] }): void => {
      if (r === 'full') done('full');
      else done(r.roster, r.streams);
    };
    this.#up.push({ op: 'join', id: this.#wait(answer), sessionId, connection, resumeKey, max });
  }

  stream(sessionId: string, op: StreamOp, done: (r: StreamOpResult) => void): void {
    this.#up.push({ op: 'stream', id: this.#wait(done), sessionId, stream: op });
  }

  claim(sessionId: string, connectionId: string, resumeKey: string, callbacks: ClaimCallbacks): void {
    const id = this.#wait((state: HandoffState | null) => {
      callbacks.done(state);
    });
    this.#moved.set(id, () => {
      callbacks.moved();
    });
    this.#up.push({ op: 'claim', id, sessionId, connectionId, resumeKey });
  }

  leave(sessionId: string, connectionId: string, reason: DisconnectReason | null): void {
    this.#up.push({ op: 'leave', sessionId, connectionId, reason });
  }

  announce(sessionId: string, event: SessionEvent, except: string | null): void {
    this.#up.push({ op: 'announce', sessionId, event, except });
  }

  signal(sessionId: string, event: SignalEvent, to: string | null, done: (r: OpResult) => void): void {
    this.#up.push({ op: 'signal', id: this.#wait(done), sessionId, event, to });
  }

  park(sessionId: string, connectionId: string, state: HandoffState, windowMs: number): void {
    this.#up.push({ op: 'park', sessionId, connectionId, state, windowMs });
  }

  forceDisconnect(
    sessionId: string,
    connectionId: string,
    origin: DisconnectOrigin,
    done: (r: OpResult) => void,
  ): void {
    this.#up.push({ op: 'forceDisconnect', id: this.#wait(done), sessionId, connectionId, origin });
  }

  #wait(done: (result: never) => void): number {
    const id = this.#nextId++;
    this.#waiting.set(id, done);
    return id;
  }

  #receive(n: Note): void {
    switch (n.t) {
      case 'deliver':
        this.#listener?.deliver(n.sessionId, n.event, n.except, n.to);
        return;
      case 'disconnect':
        this.#listener?.disconnect(n.sessionId, n.connectionId, n.origin);
        return;
      case 'done': {
        const done = this.#waiting.get(n.id);
        this.#waiting.delete(n.id);
        this.#moved.delete(n.id);
        done?.(n.result as never);
        return;
      }
      case 'moved':
        this.#moved.get(n.id)?.();
        this.#moved.delete(n.id);
        return;
      case 'release': {
        const state = this.#listener?.release(n.sessionId, n.connectionId) ?? null;
        this.#up.push({ op: 'handoff', sessionId: n.sessionId, claim: n.claim, state });
        return;
      }
    }
  }
}
