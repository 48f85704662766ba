/**
 * 8. Fan-out across two nodes through Redis: the fan-out scenario's 100-member room with 50
 * members on each of two server processes sharing one private redis-server (Parley: `redis`
 * option, the Redis bus and store; Socket.IO: the official @socket.io/redis-adapter). The 50 on
 * node 1 send and measure (same clock); the 50 on node 2 count. The first step, 100 msg/s, is
 * "100 members × 1 signal/s across nodes". Knee as in fan-out: p99 ≤ 25 ms and ≥ 99% delivered.
 * Each step reports every process's CPU (both nodes, both load processes, Redis): on 2 cores their
 * sum says whether the machine, rather than a node, was the limit.
 * The Socket.IO figures are best effort: an at-most-once broadcast with no ordering across nodes.
 */
import { sleep } from '../lib/clock.js';
import type { Metrics, ScenarioResult } from '../lib/members.js';
import { at, log, profilePhase, sweep, withLoads, withServer, type RunOptions } from '../lib/harness.js';
import { startRedis } from '../lib/redis.js';
import type { SystemName } from '../systems/types.js';

const MEMBERS = 100;
const P99_BUDGET_MS = 25;

interface Step {
  sent: number;
  receivedHere: number;
  expectHere: number;
  lat: { p50: number; p99: number; max: number };
}

export async function runCluster(systems: readonly SystemName[], o: RunOptions): Promise<ScenarioResult> {
  const rates =
    o.rates ?? (o.quick ? [100, 500] : [100, 250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000]);
  const stepMs = o.quick ? 500 : 3000;
  const drainMs = o.quick ? 500 : 2000;
  const r: ScenarioResult = {
    scenario: 'cluster',
    title: 'fan-out across 2 nodes via Redis, 100-member room (deliveries/s)',
    perSystem: {},
    notes: [
      `two server processes on one private redis-server; 50 members on each; rates (msg/s): ${rates.join(', ')}; ${stepMs / 1000} s per step.`,
      '100 msg/s is 100 members × 1 signal/s: its p99 is reported as p99At100.',
      `knee = highest delivery rate with p99 ≤ ${P99_BUDGET_MS} ms and ≥ 99% delivered within ${drainMs} ms; a failing step is retried once, and the sweep stops when it fails again.`,
      'a 1 s warm-up at the lowest rate runs first and is not recorded; each step gives every process its CPU (% of one core).',
    ],
  };
  const redis = await startRedis();
  try {
    for (const system of systems.filter((s) => s === 'parley' || s === 'socketio')) {
      log(`cluster: ${system}`);
      const nodeOpts = { parley: { redis: redis.url } };
      r.perSystem[system] = await withServer(
        system,
        (n1) =>
          withServer(
            system,
            (n2) =>
              withLoads(2, async (ws) => {
                const a = at(ws, 0);
                const b = at(ws, 1);
                const [room] = await n1.rooms(1);
                await a.call('fanout.join', { spec: { server: n1.info, room }, count: MEMBERS / 2, measure: true });
                await b.call('fanout.join', { spec: { server: n2.info, room }, count: MEMBERS / 2, measure: false });
                await sleep(300);
                // Warm-up, not recorded (as in fan-out): both nodes' and both loads' code paths compiled.
                await a.call('fanout.send', { rate: rates[0], ms: o.quick ? 300 : 1000, drainMs }, 60_000);
                await sleep(200);
                const steps: Metrics[] = [];
                let p99At100: number | null = null;
                // Two profile phases: both servers' workers have one name, and a file per label.
                const stops = await Promise.all([
                  profilePhase(`cluster-${system}-node1`, [n1.worker, a, b]),
                  profilePhase(`cluster-${system}-node2`, [n2.worker]),
                ]);
                // CPU of every process of the step (ms so far): node 1, node 2, load A, load B, Redis.
                const cpu = async (): Promise<{ ms: number[]; at: number }> => {
                  const [s1, s2, ca, cb] = await Promise.all([
                    n1.stats(),
                    n2.stats(),
                    a.call<number>('fanout.cpu'),
                    b.call<number>('fanout.cpu'),
                  ]);
                  const ms = [s1.cpuUserMs + s1.cpuSystemMs, s2.cpuUserMs + s2.cpuSystemMs, ca, cb, redis.cpuMs()];
                  return { ms, at: Date.now() };
                };
                const knee = await sweep(rates, o.quick, async (rate) => {
                  await b.call('fanout.reset');
                  const c0 = await cpu();
                  const res = await a.call<Step>('fanout.send', { rate, ms: stepMs, drainMs }, 60_000);
                  const c1 = await cpu();
                  const wall = c1.at - c0.at;
                  const cpuPct = c1.ms.map((v, i) => Math.round(((v - (c0.ms[i] ?? 0)) / wall) * 1000) / 10);
                  const delivered = res.receivedHere + (await b.call<number>('fanout.count'));
                  const expected = res.sent * MEMBERS;
                  const deliveriesPerSec = Math.round((delivered / stepMs) * 1000);
                  const ok = res.lat.p99 <= P99_BUDGET_MS && delivered >= 0.99 * expected;
                  if (rate === 100) p99At100 = res.lat.p99;
                  steps.push({ inRate: rate, deliveriesPerSec, delivered, expected, ...res.lat, ok, cpuPct });
                  const [c1n, c2n, ca, cb, cr] = cpuPct;
                  log(
                    `  ${system} x2 ${rate} msg/s → ${deliveriesPerSec}/s p50 ${res.lat.p50} p99 ${res.lat.p99} ${ok ? 'ok' : 'FAIL'} ` +
                      `(cpu % of a core: node1 ${c1n}, node2 ${c2n}, load A ${ca}, load B ${cb}, redis ${cr}; sum ${Math.round(cpuPct.reduce((x, y) => x + y, 0))} of 200)`,
                  );
                  return { ok, deliveriesPerSec };
                });
                await Promise.all(stops.map((stop) => stop()));
                await Promise.all([a.call('fanout.leave'), b.call('fanout.leave')]);
                return { kneeDeliveriesPerSec: knee?.deliveriesPerSec ?? 0, p99At100, steps };
              }),
            nodeOpts,
          ),
        nodeOpts,
      );
    }
  } finally {
    redis.stop();
  }
  return r;
}
