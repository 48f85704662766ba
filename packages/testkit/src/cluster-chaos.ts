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
 * IncarnationChecker: lost, duplicated and reordered must be 0; an explicit failure (1022,
 * then sessionDisconnected: the allowed outcome where recovery is impossible, e.g. Redis
 * restarted empty) is counted, not a loss. A peer's `connectionDestroyed` is allowed only for a
 * life that failed so; a resume must keep its connection ID, and is counted by where it landed
 * (the same node, another node). Bounded in cycles and in time (`maxSeconds`): it stops by itself.
 * Here: the cluster, the cycles, the operator's faults and the final checks; a client's lives and
 * signals are cluster-chaos-client.ts's, the shared counts and waits cluster-chaos-tally.ts's.
 */
import { Parley } from '@parley/server-sdk';
import { applyFault, FAULTS, pause } from './chaos.js';
import { API_KEY, API_SECRET, joinClient, live, sendSpread, type ChaosClient } from './cluster-chaos-client.js';
import { SERVER_FAULTS, type ClusterChaosOptions, type ClusterChaosResult } from './cluster-chaos-report.js';
import { ChaosTally } from './cluster-chaos-tally.js';
import { FaultProxy } from './fault-proxy.js';
import { startProcessCluster, type ProcessCluster } from './process-cluster.js';
import { prng, type Prng } from './prng.js';
import { untilComplete } from './wait-for.js';

export {
  formatClusterChaosTable,
  type ClusterChaosOptions,
  type ClusterChaosResult,
  type ServerFaultKind,
} from './cluster-chaos-report.js';

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

  const t = new ChaosTally(log);
  const { checker } = t;
  const totalFaults = options.serverFaults?.length ?? Math.floor(cycles / every);
  const until = (what: () => boolean, ms: number, label: () => string): Promise<void> => t.until(what, ms, label);

  const cluster: ProcessCluster = await startProcessCluster({
    nodes: nodeCount,
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    flags: ['--lease-ttl', '1500', '--lease-renew', '300', '--reconnect-window', String(window)],
  });
  const clients: ChaosClient[] = [];
  const timer = setInterval(() => {
    if (Date.now() > deadline && !t.stopping) {
      t.timedOut = true;
      t.stopping = true;
      log('time bound reached: stopping');
      t.changed();
    }
  }, 250);
  try {
    const { sessionId } = await new Parley(API_KEY, API_SECRET, { apiUrl: cluster.urls[0] }).createSession();
    const target = { sessionId, deadline, drainTimeout };

    for (let i = 0; i < clientCount; i++) {
      const home = i % nodeCount;
      const proxies = await Promise.all(cluster.ports.map((port) => FaultProxy.start({ target: { port } })));
      const order = [home, ...cluster.urls.map((_, k) => k).filter((k) => k !== home)];
      const urls = order.map((k) => (proxies[k] as FaultProxy).url(cluster.urls[k] as string));
      const c: ChaosClient = {
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
      await joinClient(t, c, target, prng(seed ^ (0x9e3779b9 * (i + 1))));
    }
    await until(
      () => clients.every((c) => c.session?.connections.size === clientCount - 1),
      15_000,
      () => 'every client to see the others',
    );
    log(
      `cluster chaos: ${nodeCount} nodes, ${clientCount} clients, ${cycles} cycles, a server fault every ${every}, seed ${seed}, window ${window} ms`,
    );

    const back = (c: ChaosClient): Promise<void> =>
      until(
        () => live(c),
        settleMs,
        () => `${c.name} to be Connected again (${c.life || 'joining again'})`,
      );

    const cycle = async (c: ChaosClient, r: Prng): Promise<void> => {
      const kind = r.pick(FAULTS);
      const outage = kind === 'reset' ? 0 : r.int(10, maxOutage);
      const half = Math.ceil(perCycle / 2);
      t.faults[kind]++;
      await sendSpread(t, c, half, r.int(0, 30));
      for (const p of c.proxies) applyFault(p, kind);
      await sendSpread(t, c, perCycle - half, outage);
      if (outage > 0) await pause(outage / Math.max(1, perCycle - half));
      for (const p of c.proxies) p.restore();
      await back(c);
    };
    const loop = async (c: ChaosClient): Promise<void> => {
      const r = prng((seed * 7919 + c.index * 104729) >>> 0);
      while (!t.stopping && t.claimed < cycles) {
        // At most one batch ahead of the server faults: each one lands among running cycles.
        await until(
          () => t.halted() || t.faultsDone >= totalFaults || t.claimed < (t.faultsDone + 2) * every,
          settleMs * 2,
          () => `server fault ${t.faultsDone + 1}`,
        );
        if (t.halted() || t.claimed >= cycles) break;
        t.claimed++;
        await pause(r.int(0, 50));
        await cycle(c, r);
        t.completed++;
        t.changed();
        if (t.completed % 20 === 0 || t.completed === cycles)
          log(`cycle ${t.completed}/${cycles}: sent ${checker.counts().sent}, failures ${t.explicitFailures}`);
      }
    };
    const operator = async (): Promise<void> => {
      const r = prng((seed * 31337) >>> 0);
      const total = totalFaults;
      for (let i = 0; i < total && !t.stopping; i++) {
        await until(
          () => t.stopping || t.completed >= (i + 1) * every,
          deadline - Date.now() + 1000,
          () => `cycle ${(i + 1) * every}`,
        ).catch(() => undefined);
        if (t.halted()) return;
        const kind = options.serverFaults?.[i] ?? r.pick(SERVER_FAULTS);
        const node = r.int(0, nodeCount - 1);
        t.serverFaults[kind]++;
        t.underWay = kind;
        log(`server fault ${i + 1}/${total}: ${kind}${kind === 'kill' || kind === 'drain' ? ` node ${node}` : ''}`);
        if (kind === 'kill') {
          await cluster.kill(node);
          await pause(r.int(100, 1500));
          await cluster.restart(node);
        } else if (kind === 'drain') {
          const exit = await cluster.drain(node);
          if (exit !== undefined && exit.code !== 0) t.fail(`node ${node} drained with exit ${JSON.stringify(exit)}`);
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
        t.underWay = 'network';
        t.faultsDone++;
        t.changed();
      }
    };

    await Promise.all([
      ...clients.map((c) =>
        loop(c).catch((error: unknown) => {
          t.fail(`${c.name}: ${String(error)}`);
        }),
      ),
      operator()
        .catch((error: unknown) => {
          t.fail(`operator: ${String(error)}`);
        })
        .finally(() => {
          t.faultsDone = totalFaults;
          t.changed();
        }),
    ]);
    t.stopping = true;
    for (const c of clients) for (const p of c.proxies) p.restore();

    // Drain: every client Connected, every promise settled, every required message everywhere.
    await until(
      () => clients.every(live),
      drainTimeout,
      () => 'every client Connected at the end',
    ).catch((e: unknown) => {
      t.fail(String(e));
    });
    await until(
      () => t.pending.size === 0,
      drainTimeout,
      () => `every signal() to settle (${t.pending.size} pending)`,
    ).catch((e: unknown) => {
      t.fail(String(e));
    });
    await untilComplete(checker, drainTimeout, 'every required message').catch((e: unknown) => {
      t.fail(String(e));
    });

    for (const a of checker.anomalies) t.fail(a);
    for (const [id, reason] of t.destroyed) {
      const life = t.lifeOf.get(id);
      if (life === undefined || !checker.isFailed(life))
        t.fail(`a peer saw ${life ?? id} destroyed (${reason}) but it did not fail explicitly`);
    }
    for (const life of t.rejected)
      if (!checker.isFailed(life)) t.fail(`${life}: a signal() rejected with 1022 but the session did not end`);
    const counts = checker.counts();
    return {
      ...counts,
      nodes: nodeCount,
      clients: clientCount,
      seed,
      cycles: t.completed,
      faults: t.faults,
      serverFaults: t.serverFaults,
      resumesSameNode: t.resumesSameNode,
      resumesOtherNode: t.resumesOtherNode,
      explicitFailures: t.explicitFailures,
      explicitFailuresDuring: t.explicitFailuresDuring,
      signalsResolved: t.signalsResolved,
      signalsFailedExplicitly: t.signalsFailedExplicitly,
      signalsUnresolved: counts.sent - t.signalsResolved - t.signalsFailedExplicitly,
      timedOut: t.timedOut,
      failures: t.failures,
      durationMs: Date.now() - started,
    };
  } finally {
    t.stopping = true;
    t.closing = true;
    clearInterval(timer);
    await Promise.all(clients.map((c) => (c.session?.disconnect() ?? Promise.resolve()).catch(() => undefined)));
    await Promise.all(clients.flatMap((c) => c.proxies.map((p) => p.close())));
    await cluster.close();
  }
}
