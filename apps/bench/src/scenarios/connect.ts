/**
 * 1. connect → connected latency over N sequential joins into a room that already has 5 members.
 * Parley: a fresh token per join (minted before the clock starts, as an app server would hand it
 * out), checked by the server; "connected" = connect() resolved (welcome received). ws/Socket.IO:
 * the server's "joined" message. Each joined client disconnects before the next join (not timed).
 */
import { now } from '../lib/clock.js';
import { closeAll, joinMembers, type ScenarioResult } from '../lib/members.js';
import { Samples, summarize } from '../lib/stats.js';
import { at, cpuPercent, log, profilePhase, withLoads, withServer, type RunOptions } from '../lib/harness.js';
import { connectClient } from '../systems/clients.js';
import { connectParley, mintToken } from '../systems/parley-client.js';
import type { JoinSpec, SystemName } from '../systems/types.js';

const RESIDENTS = 5;

export const connectHandlers = {
  'connect.run': async (a: { spec: JoinSpec; n: number }) => {
    const residents = await joinMembers(a.spec, RESIDENTS, () => ({}));
    const samples = new Samples();
    let failures = 0;
    for (let i = 0; i < a.n; i++) {
      const token = a.spec.server.system === 'parley' ? mintToken(a.spec) : '';
      const t0 = now();
      try {
        const c =
          a.spec.server.system === 'parley' ? await connectParley(a.spec, {}, {}, token) : await connectClient(a.spec);
        samples.push(now() - t0);
        await c.close();
      } catch {
        failures++;
      }
    }
    await closeAll(residents);
    return { ...summarize(samples.values()), failures };
  },
};

export async function runConnect(systems: readonly SystemName[], o: RunOptions): Promise<ScenarioResult> {
  const n = o.quick ? 100 : 1000;
  const r: ScenarioResult = {
    scenario: 'connect',
    title: `connect → connected, ${n} sequential joins (ms)`,
    perSystem: {},
    notes: [
      `${RESIDENTS} members already in the room; each joined client disconnects before the next join (not timed).`,
    ],
  };
  for (const system of systems) {
    log(`connect: ${system}`);
    r.perSystem[system] = await withServer(system, (s) =>
      withLoads(1, async (ws) => {
        const w = at(ws, 0);
        const [room] = await s.rooms(1);
        const stopProfile = await profilePhase(`connect-${system}`, [s.worker, w]);
        const before = await s.stats();
        const res = await w.call<Record<string, number>>('connect.run', { spec: { server: s.info, room }, n }, 600_000);
        const after = await s.stats();
        await stopProfile();
        return {
          ...res,
          serverCpuPct: cpuPercent(before, after),
          serverCpuMsPerJoin:
            Math.round(((after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs) / n) * 1000) /
            1000,
        };
      }),
    );
  }
  return r;
}
