/**
 * 2. Fan-out in one 100-member room: a sweep of inbound message rates; every message reaches all
 * 100 members (sender included, as OpenTok signals do). Members are split 50/50 over two load
 * processes; the 50 in process A send and their receipts give the latency (same clock); process B
 * only counts. Knee = the highest delivery rate with p99 ≤ 25 ms and ≥ 99% delivered within the
 * drain window.
 */
import { now, sleep } from '../lib/clock.js';
import { closeAll, joinMembers, payload, sentAt, type Metrics, type ScenarioResult } from '../lib/members.js';
import { Samples, summarize } from '../lib/stats.js';
import { at, cpuPercent, log, profilePhase, sweep, withLoads, withServer, type RunOptions } from '../lib/harness.js';
import type { BenchClient, JoinSpec, SystemName } from '../systems/types.js';
import { lifecycle } from '../systems/parley-client.js';

const MEMBERS = 100;
const P99_BUDGET_MS = 25;

let members: BenchClient[] = [];
let received = 0;
let measuring = false;
const lat = new Samples();

export const fanoutHandlers = {
  'fanout.join': async (a: { spec: JoinSpec; count: number; measure: boolean }) => {
    received = 0;
    measuring = a.measure;
    members = await joinMembers(a.spec, a.count, () => ({
      data: (d: string) => {
        received++;
        if (measuring) lat.push(now() - sentAt(d));
      },
    }));
    return members.length;
  },
  /** Process A: send `rate` msg/s for `ms`, then wait for every receipt here or the drain limit. */
  'fanout.send': async (a: { rate: number; ms: number; drainMs: number }) => {
    lat.clear();
    received = 0;
    let sent = 0;
    const t0 = now();
    let k = 0;
    for (let el = 0; el < a.ms; el = now() - t0) {
      const target = Math.floor((a.rate * el) / 1000);
      while (sent < target) {
        at(members, k++ % members.length).send(payload(now()));
        sent++;
      }
      await sleep(2);
    }
    const expectHere = sent * members.length;
    const end = now();
    while (received < expectHere && now() - end < a.drainMs) await sleep(5);
    if (lifecycle.size > 0)
      console.error(`[bench load] session events: ${JSON.stringify(Object.fromEntries(lifecycle))}`);
    return { sent, receivedHere: received, expectHere, lat: summarize(lat.values()), wallMs: now() - t0 };
  },
  'fanout.reset': () => {
    received = 0;
    return 0;
  },
  /** This load process's CPU so far (ms), to report each process's share of a step. */
  'fanout.cpu': () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  },
  'fanout.count': () => received,
  'fanout.leave': async () => {
    await closeAll(members);
    members = [];
    return 0;
  },
};

export async function runFanout(systems: readonly SystemName[], o: RunOptions): Promise<ScenarioResult> {
  const rates =
    o.rates ??
    (o.quick
      ? [250, 1000]
      : [
          100, 250, 500, 750, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 7000, 8000, 10000, 12000, 14000,
          16000,
        ]);
  const stepMs = o.quick ? 500 : 3000;
  const drainMs = o.quick ? 500 : 2000;
  const r: ScenarioResult = {
    scenario: 'fanout',
    title: 'fan-out, 100-member room, rate sweep (deliveries/s)',
    perSystem: {},
    notes: [
      `inbound rates tried (msg/s): ${rates.join(', ')}; ${stepMs / 1000} s per step; each message delivered to 100.`,
      "members 50/50 over 2 load processes; latency measured at the 50 receivers in the senders' process.",
      `knee = highest delivery rate with p99 ≤ ${P99_BUDGET_MS} ms and ≥ 99% delivered within ${drainMs} ms after the step; a failing step is retried once, and the sweep stops when it fails again.`,
      'a 1 s warm-up at the lowest rate runs first and is not recorded.',
    ],
  };
  for (const system of systems) {
    log(`fanout: ${system}`);
    r.perSystem[system] = await withServer(system, (s) =>
      withLoads(2, async (ws) => {
        const a = at(ws, 0);
        const b = at(ws, 1);
        const [room] = await s.rooms(1);
        const spec = { server: s.info, room };
        await a.call('fanout.join', { spec, count: MEMBERS / 2, measure: true });
        await b.call('fanout.join', { spec, count: MEMBERS / 2, measure: false });
        await sleep(o.quick ? 100 : 300);
        const steps: Metrics[] = [];
        await a.call('fanout.send', { rate: rates[0], ms: o.quick ? 300 : 1000, drainMs }, 60_000); // warm-up, not recorded
        await sleep(200);
        const stopProfile = await profilePhase(`fanout-${system}`, [s.worker, a, b]);
        const knee = await sweep(rates, o.quick, async (rate) => {
          await b.call('fanout.reset');
          const [cpuA0, cpuB0] = await Promise.all([a.call<number>('fanout.cpu'), b.call<number>('fanout.cpu')]);
          const before = await s.stats();
          const res = await a.call<{
            sent: number;
            receivedHere: number;
            expectHere: number;
            lat: { p50: number; p99: number; max: number };
            wallMs: number;
          }>('fanout.send', { rate, ms: stepMs, drainMs }, 60_000);
          const after = await s.stats();
          const recvB = await b.call<number>('fanout.count');
          const [cpuA1, cpuB1] = await Promise.all([a.call<number>('fanout.cpu'), b.call<number>('fanout.cpu')]);
          const wall = after.at - before.at;
          const loadCpuPct = [
            Math.round(((cpuA1 - cpuA0) / wall) * 1000) / 10,
            Math.round(((cpuB1 - cpuB0) / wall) * 1000) / 10,
          ];
          const delivered = res.receivedHere + recvB;
          const expected = res.sent * MEMBERS;
          const deliveriesPerSec = Math.round((delivered / stepMs) * 1000);
          const ok = res.lat.p99 <= P99_BUDGET_MS && delivered >= 0.99 * expected;
          steps.push({
            inRate: rate,
            sent: res.sent,
            deliveriesPerSec,
            delivered,
            expected,
            p50: res.lat.p50,
            p99: res.lat.p99,
            max: res.lat.max,
            serverCpuPct: cpuPercent(before, after),
            loadCpuPct,
            ok,
          });
          log(
            `  ${system} ${rate} msg/s → ${deliveriesPerSec}/s p50 ${res.lat.p50} p99 ${res.lat.p99} ${ok ? 'ok' : 'FAIL'} (cpu % of a core: server ${cpuPercent(before, after)}, load A ${loadCpuPct[0]}, load B ${loadCpuPct[1]})`,
          );
          return { ok, deliveriesPerSec, p99: res.lat.p99 };
        });
        await stopProfile();
        await Promise.all([a.call('fanout.leave'), b.call('fanout.leave')]);
        return { kneeDeliveriesPerSec: knee?.deliveriesPerSec ?? 0, kneeP99: knee?.p99 ?? null, steps };
      }),
    );
  }
  return r;
}
