/**
 * The cluster chaos run (`npm run chaos -- --bus cluster`): the chaos run's network faults
 * (chaos.ts) over a real cluster of `parley serve --redis` processes on a private redis-server
 * (process-cluster.ts), with node kills (SIGKILL), node drains (SIGTERM) and Redis restarts
 * (with its data, and empty) mixed in.
 *
 * ```
 *   client i ──▶ proxy i.0 ──▶ node 0 ┐
 *      (URL list: │ proxy i.1 ──▶ node 1 ├──▶ redis-server
 *       its node  └ proxy i.2 ──▶ node 2 ┘
 *       first)
 *   each client, cycle after cycle: send, a network fault on all its proxies, send, restore,
 *     wait until Connected again (or, after an explicit failure, joined again);
 *   the operator, after every `serverFaultEvery` cycles: kill / drain a node (and start it
 *     again on its port) or restart Redis (with its data / empty), then waits until every
 *     client is Connected again.
 * ```
 *
 * Each client life (`c0#1`, then `c0#2` after an explicit failure) is a participant of the
 * {@link IncarnationChecker}: lost, duplicated and reordered must be 0; an explicit failure (1022,
 * then sessionDisconnected: the allowed outcome where recovery is impossible, e.g. Redis
 * restarted empty) is counted, not a loss. A peer's `connectionDestroyed` is allowed only for a
 * life that failed so; a resume must keep its connection ID, and is counted by where it landed
 * (the same node, another node). Bounded in cycles and in time (`maxSeconds`): it stops by itself.
 */
import { Session, SessionConnectionStatus, SessionErrorCode, type ParleyError } from '@parley/client';
import { generateToken, Parley } from '@parley/server-sdk';
import { applyFault, FAULTS, fastPolicy, pause, type FaultKind } from './chaos.js';
import { FaultProxy } from './fault-proxy.js';
import { IncarnationChecker } from './incarnation-checker.js';
import {
  SERVER_FAULTS,
  type ClusterChaosOptions,
  type ClusterChaosResult,
  type ServerFaultKind,
} from './cluster-chaos-report.js';

export {
  formatClusterChaosTable,
  type ClusterChaosOptions,
  type ClusterChaosResult,
  type ServerFaultKind,
} from './cluster-chaos-report.js';
import { startProcessCluster, type ProcessCluster } from './process-cluster.js';
import { prng, type Prng } from './prng.js';
import { waitFor } from './wait-for.js';

const API_KEY = 'chaos';
const API_SECRET = 'chaos-secret-for-the-cluster-run';
const SIGNAL_TYPE = 'chaos';

interface Client {
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

/**
 * Run the cluster chaos scenario. Throws only when the setup fails (Redis, nodes, first joins).
 * @example
 * const r = await runClusterChaos({ cycles: 12, serverFaults: ['kill', 'drain', 'redis', 'redisEmpty'] });
 */
export async function runClusterChaos(options: ClusterChaosOptions = {}): Promise<ClusterChaosResult> {
  const started = Date.now();
  const nodeCount = options.nodes ?? 3;
  const clientCount = options.clients ?? 4;
  const cycles = options.cycles ?? 100;
  const perCycle = options.messagesPerCycle ?? 10;
  const seed = options.seed ?? 1;
  const every = options.serverFaultEvery ?? 5;
  const window = options.reconnectWindowMs ?? 5000;
  const deadline = started + (options.maxSeconds ?? 900) * 1000;
  const drainTimeout = options.drainTimeoutMs ?? 30_000;
  const log = options.log ?? (() => undefined);
  const maxOutage = Math.min(1500, Math.floor(window / 3));
  const settleMs = window + 30_000;

  const failures: string[] = [];
  const fail = (line: string): void => {
    if (failures.length < 50) failures.push(line);
    log(`FAILURE ${line}`);
  };
  const faults: Record<FaultKind, number> = {
    cut: 0,
    reset: 0,
    blackhole: 0,
    blackholeToServer: 0,
    blackholeToClient: 0,
  };
  const serverFaults: Record<ServerFaultKind, number> = { kill: 0, drain: 0, redis: 0, redisEmpty: 0 };
  let resumesSameNode = 0;
  let resumesOtherNode = 0;
  let explicitFailures = 0;
  const explicitFailuresDuring: Record<ServerFaultKind | 'network', number> = {
    kill: 0,
    drain: 0,
    redis: 0,
    redisEmpty: 0,
    network: 0,
  };
  /** The server fault under way (until every client is Connected again), if any. */
  let underWay: ServerFaultKind | 'network' = 'network';
  let signalsResolved = 0;
  let signalsFailedExplicitly = 0;
  let completed = 0;
  let claimed = 0;
  let stopping = false;
  let timedOut = false;
  /** The run is over: the sessions are being closed by the run itself. */
  let closing = false;
  const totalFaults = options.serverFaults?.length ?? Math.floor(cycles / every);
  let faultsDone = 0;
  const checker = new IncarnationChecker();
  /** Lives whose signals were rejected with 1022: each must turn out to have failed explicitly. */
  const rejected = new Set<string>();
  /** connectionId → life, and every connection a peer was told was destroyed. */
  const lifeOf = new Map<string, string>();
  const destroyed = new Map<string, string>();
  const pending = new Set<Promise<void>>();
  const changes = new Set<() => void>();
  /** `stopping` read through a call (it changes in callbacks the compiler does not follow). */
  const halted = (): boolean => stopping;
  const changed = (): void => {
    for (const l of [...changes]) l();
  };
  const until = (what: () => boolean, ms: number, label: () => string): Promise<void> =>
    waitFor(
      (resolve) => {
        const check = (): void => {
          if (what()) resolve();
        };
        changes.add(check);
        check();
        return () => void changes.delete(check);
      },
      ms,
      label,
    );

  const cluster: ProcessCluster = await startProcessCluster({
    nodes: nodeCount,
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    flags: ['--lease-ttl', '1500', '--lease-renew', '300', '--reconnect-window', String(window)],
  });
  const clients: Client[] = [];
  const timer = setInterval(() => {
    if (Date.now() > deadline && !stopping) {
      timedOut = true;
      stopping = true;
      log('time bound reached: stopping');
      changed();
    }
  }, 250);
  try {
    const { sessionId } = await new Parley(API_KEY, API_SECRET, { apiUrl: cluster.urls[0] }).createSession();

    const live = (c: Client): boolean =>
      c.life !== '' && c.session?.connectionStatus === SessionConnectionStatus.Connected;
    const nodeOf = (c: Client): number => c.proxies.findIndex((p) => p.links > 0);

    /** One life of a client: a new Session through its URL list, retried until it joins. */
    const join = async (c: Client, r: Prng): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        let life = '';
        const session = new Session(API_KEY, sessionId, undefined, {
          url: c.urls,
          pageLifecycle: false,
          openTimeout: 2_000,
          reconnectPolicy: fastPolicy(r),
          onListenerError: (error, event) => {
            fail(`${c.name}: a "${event}" listener threw: ${String(error)}`);
          },
        });
        session.on('sessionConnected', ({ connection }) => {
          life = `${c.name}#${++c.lives}`;
          checker.begin(life);
          lifeOf.set(connection.connectionId, life);
          Object.assign(c, { session, life, connectionId: connection.connectionId, node: nodeOf(c) });
          changed();
        });
        session.on('signal', ({ type, data, from }) => {
          if (type !== SIGNAL_TYPE || data === undefined || life === '') return;
          const { sender, n } = JSON.parse(data) as { sender: string; n: number };
          const fromLife = lifeOf.get(from?.connectionId ?? '');
          if (fromLife !== sender) fail(`${life} got #${n} of ${sender} from ${fromLife ?? 'an unknown connection'}`);
          checker.received(life, sender, n);
        });
        session.on('sessionReconnected', () => {
          if (session.connection?.connectionId !== c.connectionId)
            fail(`${life} resumed as ${session.connection?.connectionId ?? 'null'}, was ${c.connectionId}`);
          const node = nodeOf(c);
          if (node === c.node) resumesSameNode++;
          else resumesOtherNode++;
          c.node = node;
          changed();
        });
        session.on('sessionError', ({ error }) => {
          if (life !== '' && error.code !== SessionErrorCode.ConnectionDropped)
            fail(`${life}: sessionError ${error.code} ${error.message}`);
        });
        session.on('sessionDisconnected', ({ reason }) => {
          // (Also while the run is stopping: a node may learn late that Redis lost its data.)
          if (life === '' || c.life !== life || closing) return;
          // The explicit failure: counted, then a new life joins.
          explicitFailures++;
          explicitFailuresDuring[underWay]++;
          checker.failed(life);
          log(`${life} ended explicitly (${reason}, during: ${underWay}); joining again`);
          c.life = '';
          changed();
          void join(c, r).catch((e: unknown) => {
            fail(`${c.name} could not join again: ${String(e)}`);
          });
        });
        session.on('connectionDestroyed', ({ connection, reason }) => {
          if (!stopping) destroyed.set(connection.connectionId, reason);
        });
        session.on('connectionStatusChanged', changed);
        session.on('connectionCreated', changed);
        try {
          await session.connect(generateToken(API_KEY, API_SECRET, sessionId, { data: c.name }));
          return;
        } catch (error) {
          await session.disconnect().catch(() => undefined);
          if (Date.now() > deadline + drainTimeout || attempt > 400) throw error;
          await pause(100 + r.int(0, 200));
        }
      }
    };

    for (let i = 0; i < clientCount; i++) {
      const home = i % nodeCount;
      const proxies = await Promise.all(cluster.ports.map((port) => FaultProxy.start({ target: { port } })));
      const order = [home, ...cluster.urls.map((_, k) => k).filter((k) => k !== home)];
      const urls = order.map((k) => (proxies[k] as FaultProxy).url(cluster.urls[k] as string));
      const c: Client = {
        name: `c${i}`,
        index: i,
        proxies,
        urls,
        session: undefined,
        life: '',
        lives: 0,
        connectionId: '',
        node: -1,
      };
      clients.push(c);
      await join(c, prng(seed ^ (0x9e3779b9 * (i + 1))));
    }
    await until(
      () => clients.every((c) => c.session?.connections.size === clientCount - 1),
      15_000,
      () => 'every client to see the others',
    );
    log(
      `cluster chaos: ${nodeCount} nodes, ${clientCount} clients, ${cycles} cycles, a server fault every ${every}, seed ${seed}, window ${window} ms`,
    );

    const send = (c: Client): void => {
      const session = c.session;
      const life = c.life;
      if (session === undefined || life === '' || checker.isFailed(life)) return;
      const n = checker.sent(life);
      const p = session.signal({ type: SIGNAL_TYPE, data: JSON.stringify({ sender: life, n }) }).then(
        () => {
          signalsResolved++;
          checker.acknowledged(life, n);
        },
        (error: unknown) => {
          if ((error as ParleyError).code === SessionErrorCode.ConnectionDropped) {
            signalsFailedExplicitly++;
            rejected.add(life);
          } else fail(`${life}: signal #${n} rejected: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
      pending.add(p);
      void p.finally(() => {
        pending.delete(p);
        changed();
      });
    };
    const sendSpread = async (c: Client, count: number, overMs: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        send(c);
        if (i < count - 1 && overMs > 0) await pause(overMs / count);
      }
    };
    const back = (c: Client): Promise<void> =>
      until(
        () => live(c),
        settleMs,
        () => `${c.name} to be Connected again (${c.life || 'joining again'})`,
      );

    const cycle = async (c: Client, r: Prng): Promise<void> => {
      const kind = r.pick(FAULTS);
      const outage = kind === 'reset' ? 0 : r.int(10, maxOutage);
      const half = Math.ceil(perCycle / 2);
      faults[kind]++;
      await sendSpread(c, half, r.int(0, 30));
      for (const p of c.proxies) applyFault(p, kind);
      await sendSpread(c, perCycle - half, outage);
      if (outage > 0) await pause(outage / Math.max(1, perCycle - half));
      for (const p of c.proxies) p.restore();
      await back(c);
    };
    const loop = async (c: Client): Promise<void> => {
      const r = prng((seed * 7919 + c.index * 104729) >>> 0);
      while (!stopping && claimed < cycles) {
        // At most one batch ahead of the server faults: each one lands among running cycles.
        await until(
          () => halted() || faultsDone >= totalFaults || claimed < (faultsDone + 2) * every,
          settleMs * 2,
          () => `server fault ${faultsDone + 1}`,
        );
        if (halted() || claimed >= cycles) break;
        claimed++;
        await pause(r.int(0, 50));
        await cycle(c, r);
        completed++;
        changed();
        if (completed % 20 === 0 || completed === cycles)
          log(`cycle ${completed}/${cycles}: sent ${checker.counts().sent}, failures ${explicitFailures}`);
      }
    };
    const operator = async (): Promise<void> => {
      const r = prng((seed * 31337) >>> 0);
      const total = totalFaults;
      for (let i = 0; i < total && !stopping; i++) {
        await until(
          () => stopping || completed >= (i + 1) * every,
          deadline - Date.now() + 1000,
          () => `cycle ${(i + 1) * every}`,
        ).catch(() => undefined);
        if (halted()) return;
        const kind = options.serverFaults?.[i] ?? r.pick(SERVER_FAULTS);
        const node = r.int(0, nodeCount - 1);
        serverFaults[kind]++;
        underWay = kind;
        log(`server fault ${i + 1}/${total}: ${kind}${kind === 'kill' || kind === 'drain' ? ` node ${node}` : ''}`);
        if (kind === 'kill') {
          await cluster.kill(node);
          await pause(r.int(100, 1500));
          await cluster.restart(node);
        } else if (kind === 'drain') {
          const exit = await cluster.drain(node);
          if (exit !== undefined && exit.code !== 0) fail(`node ${node} drained with exit ${JSON.stringify(exit)}`);
          await cluster.restart(node);
        } else {
          await cluster.redis.restart({ empty: kind === 'redisEmpty' });
          await cluster.ready(settleMs);
        }
        await until(
          () => clients.every(live),
          settleMs,
          () =>
            `every client Connected after ${kind} (${clients
              .filter((c) => !live(c))
              .map((c) => c.name)
              .join(', ')} not)`,
        );
        underWay = 'network';
        faultsDone++;
        changed();
      }
    };

    await Promise.all([
      ...clients.map((c) =>
        loop(c).catch((error: unknown) => {
          fail(`${c.name}: ${String(error)}`);
        }),
      ),
      operator()
        .catch((error: unknown) => {
          fail(`operator: ${String(error)}`);
        })
        .finally(() => {
          faultsDone = totalFaults;
          changed();
        }),
    ]);
    stopping = true;
    for (const c of clients) for (const p of c.proxies) p.restore();

    // Drain: every client Connected, every promise settled, every required message everywhere.
    await until(
      () => clients.every(live),
      drainTimeout,
      () => 'every client Connected at the end',
    ).catch((e: unknown) => {
      fail(String(e));
    });
    await until(
      () => pending.size === 0,
      drainTimeout,
      () => `every signal() to settle (${pending.size} pending)`,
    ).catch((e: unknown) => {
      fail(String(e));
    });
    await waitFor(
      (resolve) => {
        const check = (): void => {
          if (checker.complete()) resolve();
        };
        check();
        return checker.onReceive(check);
      },
      drainTimeout,
      () => `every required message; missing: ${checker.missing().join('; ')}`,
    ).catch((e: unknown) => {
      fail(String(e));
    });

    for (const a of checker.anomalies) fail(a);
    for (const [id, reason] of destroyed) {
      const life = lifeOf.get(id);
      if (life === undefined || !checker.isFailed(life))
        fail(`a peer saw ${life ?? id} destroyed (${reason}) but it did not fail explicitly`);
    }
    for (const life of rejected)
      if (!checker.isFailed(life)) fail(`${life}: a signal() rejected with 1022 but the session did not end`);
    const counts = checker.counts();
    return {
      ...counts,
      nodes: nodeCount,
      clients: clientCount,
      seed,
      cycles: completed,
      faults,
      serverFaults,
      resumesSameNode,
      resumesOtherNode,
      explicitFailures,
      explicitFailuresDuring,
      signalsResolved,
      signalsFailedExplicitly,
      signalsUnresolved: counts.sent - signalsResolved - signalsFailedExplicitly,
      timedOut,
      failures,
      durationMs: Date.now() - started,
    };
  } finally {
    stopping = true;
    closing = true;
    clearInterval(timer);
    await Promise.all(clients.map((c) => (c.session?.disconnect() ?? Promise.resolve()).catch(() => undefined)));
    await Promise.all(clients.flatMap((c) => c.proxies.map((p) => p.close())));
    await cluster.close();
  }
}
