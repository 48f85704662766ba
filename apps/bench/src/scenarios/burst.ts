/** 4. Burst: all 100 members send in the same tick (9,900… 10,000 deliveries), 20 times; worst p99. */
import { now, sleep } from '../lib/clock.js';
import { closeAll, joinMembers, payload, sentAt, type ScenarioResult } from '../lib/members.js';
import { Samples, summarize } from '../lib/stats.js';
import { at, log, withLoads, withServer, type RunOptions } from '../lib/harness.js';
import type { JoinSpec, SystemName } from '../systems/types.js';

const MEMBERS = 100;

export const burstHandlers = {
  'burst.run': async (a: { spec: JoinSpec; reps: number }) => {
    const lat = new Samples();
    const clients = await joinMembers(a.spec, MEMBERS, () => ({
      data: (d: string) => {
        lat.push(now() - sentAt(d));
      },
    }));
    await sleep(300);
    const p99s: number[] = [];
    let incomplete = 0;
    let worstMax = 0;
    for (let r = 0; r < a.reps; r++) {
      lat.clear();
      const ts = payload(now());
      for (const c of clients) c.send(ts);
      const t0 = now();
      while (lat.length < MEMBERS * MEMBERS && now() - t0 < 5000) await sleep(2);
      if (lat.length < MEMBERS * MEMBERS) incomplete++;
      const s = summarize(lat.values());
      p99s.push(s.p99);
      worstMax = Math.max(worstMax, s.max);
      await sleep(200);
    }
    await closeAll(clients);
    const sorted = [...p99s].sort((x, y) => x - y);
    return {
      worstP99: sorted[sorted.length - 1] ?? NaN,
      medianP99: sorted[Math.floor(sorted.length / 2)] ?? NaN,
      worstMax,
      incomplete,
      p99s,
    };
  },
};

export async function runBurst(systems: readonly SystemName[], o: RunOptions): Promise<ScenarioResult> {
  const reps = o.quick ? 3 : 20;
  const r: ScenarioResult = {
    scenario: 'burst',
    title: `burst: 100 members send at once, ×${reps} (ms)`,
    perSystem: {},
    notes: [
      'one load process; every member sends in the same tick; 10,000 deliveries per burst (sender included); 200 ms between bursts.',
    ],
  };
  for (const system of systems) {
    log(`burst: ${system}`);
    r.perSystem[system] = await withServer(system, (s) =>
      withLoads(1, async (ws) => {
        const w = at(ws, 0);
        const [room] = await s.rooms(1);
        return w.call<Record<string, number>>('burst.run', { spec: { server: s.info, room }, reps }, 180_000);
      }),
    );
  }
  return r;
}
