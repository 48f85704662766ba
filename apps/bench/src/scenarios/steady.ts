/** 3. 100 members each sending 1 signal/s (evenly staggered), all in one load process: p50/p99. */
import { now, sleep } from '../lib/clock.js';
import { closeAll, joinMembers, payload, sentAt, type ScenarioResult } from '../lib/members.js';
import { Samples, summarize } from '../lib/stats.js';
import { at, cpuPercent, log, profilePhase, withLoads, withServer, type RunOptions } from '../lib/harness.js';
import type { JoinSpec, SystemName } from '../systems/types.js';

const MEMBERS = 100;

export const steadyHandlers = {
  'steady.run': async (a: { spec: JoinSpec; seconds: number }) => {
    const lat = new Samples();
    let on = false;
    const clients = await joinMembers(a.spec, MEMBERS, () => ({
      data: (d: string) => {
        if (on) lat.push(now() - sentAt(d));
      },
    }));
    await sleep(300);
    on = true;
    const t0 = now();
    const timers: NodeJS.Timeout[] = [];
    clients.forEach((c, i) => {
      timers.push(
        setTimeout(
          () => {
            c.send(payload(now()));
            timers.push(
              setInterval(() => {
                c.send(payload(now()));
              }, 1000),
            );
          },
          (i * 1000) / MEMBERS,
        ),
      );
    });
    await sleep(a.seconds * 1000);
    timers.forEach((t) => {
      clearInterval(t);
    });
    await sleep(500);
    on = false;
    await closeAll(clients);
    return { ...summarize(lat.values()), deliveriesPerSec: Math.round((lat.length / (now() - t0)) * 1000) };
  },
};

export async function runSteady(systems: readonly SystemName[], o: RunOptions): Promise<ScenarioResult> {
  const seconds = o.quick ? 1 : 15;
  const r: ScenarioResult = {
    scenario: 'steady',
    title: `100 members × 1 signal/s, ${seconds} s (ms)`,
    perSystem: {},
    notes: ['all 100 members in one load process; sends staggered 10 ms apart.'],
  };
  for (const system of systems) {
    log(`steady: ${system}`);
    r.perSystem[system] = await withServer(system, (s) =>
      withLoads(1, async (ws) => {
        const w = at(ws, 0);
        const [room] = await s.rooms(1);
        const stopProfile = await profilePhase(`steady-${system}`, [s.worker, w]);
        const before = await s.stats();
        const res = await w.call<Record<string, number>>(
          'steady.run',
          { spec: { server: s.info, room }, seconds },
          120_000,
        );
        const after = await s.stats();
        await stopProfile();
        return { ...res, serverCpuPct: cpuPercent(before, after) };
      }),
    );
  }
  return r;
}
