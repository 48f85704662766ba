/**
 * One client of the cluster chaos run (cluster-chaos.ts): its lives (a new Session through its URL
 * list, joined again after an explicit failure), what it checks on every event (the sender of each
 * signal, a resume keeping its connection ID, only explicit failures), and its signals, counted
 * in the run's {@link ChaosTally}.
 */
import { Session, SessionConnectionStatus, SessionErrorCode, type ParleyError } from '@parley/client';
import { generateToken } from '@parley/server-sdk';
import { fastPolicy, pause } from './chaos.js';
import type { ChaosTally } from './cluster-chaos-tally.js';
import type { FaultProxy } from './fault-proxy.js';
import type { Prng } from './prng.js';

export const API_KEY = 'chaos';
export const API_SECRET = 'chaos-secret-for-the-cluster-run';
const SIGNAL_TYPE = 'chaos';

export interface ChaosClient {
  readonly name: string;
  readonly index: number;
  /** One proxy per node (its "network" to each). */
  readonly proxies: FaultProxy[];
  readonly urls: string[];
  session: Session | undefined;
  /** The current life's name ('' while joining again). */
  life: string;
  lives: number;
  connectionId: string;
  /** The node its link goes to (by proxy), -1 unknown. */
  node: number;
}

/** Where the clients join, and until when they keep trying. */
export interface JoinTarget {
  readonly sessionId: string;
  /** The run's time bound (ms since the epoch); joins are retried until drainTimeout past it. */
  readonly deadline: number;
  readonly drainTimeout: number;
}

/** Connected, in a life that has not failed. */
export function live(c: ChaosClient): boolean {
  return c.life !== '' && c.session?.connectionStatus === SessionConnectionStatus.Connected;
}

/** The node the client's link goes to now (by proxy), -1 when none. */
function nodeOf(c: ChaosClient): number {
  return c.proxies.findIndex((p) => p.links > 0);
}

/** One life of a client: a new Session through its URL list, retried until it joins. */
export async function joinClient(t: ChaosTally, c: ChaosClient, to: JoinTarget, r: Prng): Promise<void> {
  const { checker, lifeOf } = t;
  for (let attempt = 0; ; attempt++) {
    let life = '';
    const session = new Session(API_KEY, to.sessionId, undefined, {
      url: c.urls,
      pageLifecycle: false,
      openTimeout: 2_000,
      reconnectPolicy: fastPolicy(r),
      onListenerError: (error, event) => {
        t.fail(`${c.name}: a "${event}" listener threw: ${String(error)}`);
      },
    });
    session.on('sessionConnected', ({ connection }) => {
      life = `${c.name}#${++c.lives}`;
      checker.begin(life);
      lifeOf.set(connection.connectionId, life);
      Object.assign(c, { session, life, connectionId: connection.connectionId, node: nodeOf(c) });
      t.changed();
    });
    session.on('signal', ({ type, data, from }) => {
      if (type !== SIGNAL_TYPE || data === undefined || life === '') return;
      const { sender, n } = JSON.parse(data) as { sender: string; n: number };
      const fromLife = lifeOf.get(from?.connectionId ?? '');
      if (fromLife !== sender) t.fail(`${life} got #${n} of ${sender} from ${fromLife ?? 'an unknown connection'}`);
      checker.received(life, sender, n);
    });
    session.on('sessionReconnected', () => {
      if (session.connection?.connectionId !== c.connectionId)
        t.fail(`${life} resumed as ${session.connection?.connectionId ?? 'null'}, was ${c.connectionId}`);
      const node = nodeOf(c);
      if (node === c.node) t.resumesSameNode++;
      else t.resumesOtherNode++;
      c.node = node;
      t.changed();
    });
    session.on('sessionError', ({ error }) => {
      if (life !== '' && error.code !== SessionErrorCode.ConnectionDropped)
        t.fail(`${life}: sessionError ${error.code} ${error.message}`);
    });
    session.on('sessionDisconnected', ({ reason }) => {
      // (Also while the run is stopping: a node may learn late that Redis lost its data.)
      if (life === '' || c.life !== life || t.closing) return;
      // The explicit failure: counted, then a new life joins.
      t.explicitFailures++;
      t.explicitFailuresDuring[t.underWay]++;
      checker.failed(life);
      t.log(`${life} ended explicitly (${reason}, during: ${t.underWay}); joining again`);
      c.life = '';
      t.changed();
      void joinClient(t, c, to, r).catch((e: unknown) => {
        t.fail(`${c.name} could not join again: ${String(e)}`);
      });
    });
    session.on('connectionDestroyed', ({ connection, reason }) => {
      if (!t.stopping) t.destroyed.set(connection.connectionId, reason);
    });
    session.on('connectionStatusChanged', () => {
      t.changed();
    });
    session.on('connectionCreated', () => {
      t.changed();
    });
    try {
      await session.connect(generateToken(API_KEY, API_SECRET, to.sessionId, { data: c.name }));
      return;
    } catch (error) {
      await session.disconnect().catch(() => undefined);
      if (Date.now() > to.deadline + to.drainTimeout || attempt > 400) throw error;
      await pause(100 + r.int(0, 200));
    }
  }
}

/** One signal of the client's current life (none while it joins again or after it failed). */
export function sendSignal(t: ChaosTally, c: ChaosClient): void {
  const { checker } = t;
  const session = c.session;
  const life = c.life;
  if (session === undefined || life === '' || checker.isFailed(life)) return;
  const n = checker.sent(life);
  const p = session.signal({ type: SIGNAL_TYPE, data: JSON.stringify({ sender: life, n }) }).then(
    () => {
      t.signalsResolved++;
      checker.acknowledged(life, n);
    },
    (error: unknown) => {
      if ((error as ParleyError).code === SessionErrorCode.ConnectionDropped) {
        t.signalsFailedExplicitly++;
        t.rejected.add(life);
      } else t.fail(`${life}: signal #${n} rejected: ${error instanceof Error ? error.message : String(error)}`);
    },
  );
  t.pending.add(p);
  void p.finally(() => {
    t.pending.delete(p);
    t.changed();
  });
}

/** `count` signals spread over `overMs`. */
export async function sendSpread(t: ChaosTally, c: ChaosClient, count: number, overMs: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    sendSignal(t, c);
    if (i < count - 1 && overMs > 0) await pause(overMs / count);
  }
}
