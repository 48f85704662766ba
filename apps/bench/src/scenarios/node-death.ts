/**
 * 9. Node death (Parley only; issue 13): two server processes on one private redis-server with
 * the production defaults (lease 10 s renewed every 2 s, reconnect window 30 s). K real Sessions
 * join through node A with the URL list [A, B] (as docs/CLUSTER.md tells clients: "movers"), S
 * through A knowing only A ("stranded": they cannot come back), M through node B; all in one
 * session. Node A is killed (SIGKILL). Measured from the kill:
 *  - back: for every mover, when it resumed on B (sessionReconnected) or failed explicitly
 *    (sessionDisconnected after 1022); "every client back" is the last of those;
 *  - told: for every (peer on B, stranded client) pair, the first event that tells the peer
 *    (connectionReconnecting, when the node is declared dead), and connectionDestroyed (when the
 *    client's window ends); "every peer told" and "every peer told gone" are the last of each;
 *  - what the peers saw of the movers (nothing is expected: they resumed before anyone was told).
 * Bounded: whatever has not happened LIMIT_MS after the kill is reported as not told / not back.
 */
import { Session } from '@parley/client';
import { now, sleep } from '../lib/clock.js';
import type { ScenarioResult } from '../lib/members.js';
import { Samples, summarize } from '../lib/stats.js';
import { at, log, withLoads, withServer, type RunOptions } from '../lib/harness.js';
import { startRedis } from '../lib/redis.js';
import { mintToken } from '../systems/parley-client.js';
import type { JoinSpec } from '../systems/types.js';

const LIMIT_MS = 75_000;

type Told = 'reconnecting' | 'destroyed';
type Outcome = { kind: 'resumed' | 'failed'; at: number };

/** Load-process state of this scenario (one run at a time). */
const victims: { session: Session; outcome?: Outcome }[] = [];
const stranded: Session[] = [];
const peers: { session: Session; told: Map<string, { kind: Told; at: number }>; gone: Map<string, number> }[] = [];

function join(spec: JoinSpec, urls: string[]): Promise<Session> {
  const session = new Session(spec.server.apiKey as string, spec.room, undefined, {
    url: urls,
    pageLifecycle: false,
  });
  return session.connect(mintToken(spec)).then(() => session);
}

/** Resolves when `done()` holds, polled every 20 ms, or after `ms` (then the caller reports what is missing). */
async function until(done: () => boolean, ms: number): Promise<void> {
  const t0 = now();
  while (!done() && now() - t0 < ms) await sleep(20);
}

export const nodeDeathHandlers = {
  /** K clients through node A, each knowing both nodes; their connection IDs. */
  'death.victims': async (a: { spec: JoinSpec; urls: string[]; k: number; s: number }) => {
    victims.length = 0;
    stranded.length = 0;
    for (let i = 0; i < a.k; i++) {
      const v: (typeof victims)[number] = { session: await join(a.spec, a.urls) };
      v.session.on('sessionReconnected', () => (v.outcome ??= { kind: 'resumed', at: now() }));
      v.session.on('sessionDisconnected', () => (v.outcome ??= { kind: 'failed', at: now() }));
      victims.push(v);
    }
    for (let i = 0; i < a.s; i++) stranded.push(await join(a.spec, a.urls.slice(0, 1)));
    const ids = (list: Session[]): string[] => list.map((x) => x.connection?.connectionId ?? '');
    return { movers: ids(victims.map((v) => v.session)), stranded: ids(stranded) };
  },
  /** Leave (after both results are in, so the peers' counts see none of it). */
  'death.close': async () => {
    await Promise.all(
      [...victims.map((v) => v.session), ...stranded].map((x) => x.disconnect().catch(() => undefined)),
    );
    return true;
  },
  /** M clients through node B, each seeing the victims (and each other). */
  'death.peers': async (a: { spec: JoinSpec; urls: string[]; m: number; total: number }) => {
    peers.length = 0;
    for (let i = 0; i < a.m; i++) {
      const p: (typeof peers)[number] = { session: await join(a.spec, a.urls), told: new Map(), gone: new Map() };
      const tell = (kind: Told) => (e: { connection: { connectionId: string } }) => {
        const id = e.connection.connectionId;
        if (!p.told.has(id)) p.told.set(id, { kind, at: now() });
        if (kind === 'destroyed' && !p.gone.has(id)) p.gone.set(id, now());
      };
      p.session.on('connectionReconnecting', tell('reconnecting'));
      p.session.on('connectionDestroyed', tell('destroyed'));
      peers.push(p);
    }
    await until(() => peers.every((p) => p.session.connections.size >= a.total - 1), 30_000);
    return peers.every((p) => p.session.connections.size >= a.total - 1);
  },
  'death.victimsResult': async (a: { killedAt: number; limitMs: number }) => {
    await until(() => victims.every((v) => v.outcome !== undefined), a.limitMs - (now() - a.killedAt));
    const resumed = new Samples();
    const failed = new Samples();
    for (const v of victims) {
      if (v.outcome?.kind === 'resumed') resumed.push(v.outcome.at - a.killedAt);
      else if (v.outcome?.kind === 'failed') failed.push(v.outcome.at - a.killedAt);
    }
    const all = [...resumed.values(), ...failed.values()];
    const pending = victims.length - all.length;
    return {
      resumed: resumed.values().length,
      failed: failed.values().length,
      notBack: pending,
      everyClientBackMs: pending === 0 ? Math.round(Math.max(...all)) : null,
      resumeMs: summarize(resumed.values()),
      failMs: summarize(failed.values()),
    };
  },
  'death.peersResult': async (a: { killedAt: number; limitMs: number; movers: string[]; stranded: string[] }) => {
    const gone = (): number => peers.reduce((n, p) => n + a.stranded.filter((id) => p.gone.has(id)).length, 0);
    const total = peers.length * a.stranded.length;
    await until(() => gone() === total, a.limitMs - (now() - a.killedAt));
    const told = new Samples();
    const goneAt = new Samples();
    const kinds: Record<Told, number> = { reconnecting: 0, destroyed: 0 };
    let moversSeen = 0;
    for (const p of peers) {
      for (const id of a.stranded) {
        const t = p.told.get(id);
        if (t !== undefined) {
          kinds[t.kind]++;
          told.push(t.at - a.killedAt);
        }
        const g = p.gone.get(id);
        if (g !== undefined) goneAt.push(g - a.killedAt);
      }
      moversSeen += a.movers.filter((id) => p.told.has(id)).length;
    }
    await Promise.all(peers.map((p) => p.session.disconnect().catch(() => undefined)));
    const max = (x: Samples, n: number): number | null => (n === total ? Math.round(Math.max(...x.values())) : null);
    return {
      toldBy: kinds,
      notTold: total - told.values().length,
      everyPeerToldMs: max(told, told.values().length),
      everyPeerToldGoneMs: max(goneAt, goneAt.values().length),
      toldMs: summarize(told.values()),
      moversSeenByPeers: moversSeen,
    };
  },
};

export async function runNodeDeath(o: RunOptions): Promise<ScenarioResult> {
  const k = o.quick ? 10 : 50;
  const strandedCount = o.quick ? 2 : 10;
  const m = o.quick ? 10 : 50;
  const r: ScenarioResult = {
    scenario: 'node-death',
    title: 'Parley node death: SIGKILL of one of two nodes (ms from the kill)',
    perSystem: {},
    notes: [
      `${k} clients on node A with the URL list [A, B] (movers), ${strandedCount} on A knowing only A (stranded) and ${m} peers on node B in one session; two server processes on one private redis-server; production defaults (lease 10 s, renewal 2 s, window 30 s).`,
      'back = a mover resumed on B or failed explicitly (counts of each); told = the first event a peer gets about a stranded client (connectionReconnecting when the node is declared dead; counts in toldBy), told gone = its connectionDestroyed (when the window ends); moversSeenByPeers = events the peers got about movers (0: they resumed before anyone was told).',
      `bounded: ${LIMIT_MS / 1000} s after the kill, what has not happened is reported as notTold / notBack.`,
    ],
  };
  const redis = await startRedis();
  try {
    log('node-death: parley');
    const nodeOpts = { parley: { redis: redis.url } };
    r.perSystem.parley = await withServer(
      'parley',
      (a) =>
        withServer(
          'parley',
          (b) =>
            withLoads(2, async (ws) => {
              const [room] = await a.rooms(1);
              const urls = [a.info.url, b.info.url];
              const ids = await at(ws, 0).call<{ movers: string[]; stranded: string[] }>(
                'death.victims',
                { spec: { server: a.info, room }, urls, k, s: strandedCount },
                120_000,
              );
              const seen = await at(ws, 1).call<boolean>(
                'death.peers',
                { spec: { server: b.info, room }, urls: [b.info.url], m, total: k + strandedCount + m },
                120_000,
              );
              if (!seen) throw new Error('the peers on node B never saw every client of node A');
              await sleep(500);
              const killedAt = now();
              a.worker.child.kill('SIGKILL');
              const args = { killedAt, limitMs: LIMIT_MS };
              const [back, told] = await Promise.all([
                at(ws, 0).call<object>('death.victimsResult', args, LIMIT_MS + 30_000),
                at(ws, 1).call<object>('death.peersResult', { ...args, ...ids }, LIMIT_MS + 30_000),
              ]);
              await at(ws, 0).call<boolean>('death.close', {}, 30_000);
              return { ...told, ...back };
            }),
          nodeOpts,
        ),
      nodeOpts,
    );
  } finally {
    redis.stop();
  }
  return r;
}
