/**
 * 5. Idle connections held by one server process, in steps, and server memory per connection
 * (RSS after gc, delta from the empty server with its rooms created, divided by N). Rooms of 10.
 * Parley's idle members are the lean raw-protocol client (join with a real token, ack, ping every
 * heartbeatInterval), so the server carries exactly what a connected client costs it.
 */
import { sleep } from '../lib/clock.js';
import { closeAll, joinMembers, type Metrics, type ScenarioResult } from '../lib/members.js';
import { cpuPercent, log, withLoads, withServer, type RunOptions } from '../lib/harness.js';
import type { BenchClient, JoinSpec, ServerInfo, SystemName } from '../systems/types.js';

const ROOM_SIZE = 10;
let held: BenchClient[] = [];

export const idleHandlers = {
  /** Join connections with global indexes [from, to); room = floor(index / ROOM_SIZE). */
  'idle.add': async (a: { server: ServerInfo; rooms: string[]; from: number; to: number }) => {
    const spec = (i: number): JoinSpec => ({
      server: a.server,
      room: a.rooms[Math.floor((a.from + i) / ROOM_SIZE)] as string,
    });
    let failed = 0;
    const added = await joinMembers(spec, a.to - a.from, () => ({}), { lean: true }, 100).catch((e: unknown) => {
      failed = 1;
      throw e;
    });
    held.push(...added);
    return { held: held.length, failed };
  },
  'idle.clear': async () => {
    await closeAll(held, 500);
    held = [];
    return 0;
  },
};

export async function runIdle(systems: readonly SystemName[], o: RunOptions): Promise<ScenarioResult> {
  const steps = o.quick ? [1000] : [5000, 10000, 18000];
  const loads = o.quick ? 1 : 4;
  const r: ScenarioResult = {
    scenario: 'idle',
    title: 'idle connections held by one server process',
    perSystem: {},
    notes: [
      `steps ${steps.join(', ')}; ${loads} load process(es); rooms of ${ROOM_SIZE}; memory = (RSS after gc at N − RSS after gc before any client) / N.`,
      'Parley idle clients: the lean raw-protocol client (real token, ack, ping on the heartbeat), not the full Session.',
      'hard cap: 20,000 open files per process (server and each load process).',
    ],
  };
  const top = steps[steps.length - 1] as number;
  for (const system of systems) {
    log(`idle: ${system}`);
    r.perSystem[system] = await withServer(system, (s) =>
      withLoads(loads, async (ws) => {
        const rooms = await s.rooms(Math.ceil(top / ROOM_SIZE));
        const base = await s.stats(true);
        const out: Metrics[] = [];
        let have = 0;
        let maxHeld = 0;
        for (const n of steps) {
          const t0 = Date.now();
          const per = Math.ceil((n - have) / loads);
          try {
            await Promise.all(
              ws.map((w, k) => {
                const from = have + k * per;
                const to = Math.min(n, from + per);
                return from < to ? w.call('idle.add', { server: s.info, rooms, from, to }, 600_000) : Promise.resolve();
              }),
            );
          } catch (e) {
            out.push({ n, error: String(e).slice(0, 300) });
            log(`  ${system} failed to reach ${n}: ${String(e).slice(0, 200)}`);
            break;
          }
          const joinMs = Date.now() - t0;
          const prev = have;
          have = n;
          maxHeld = n;
          const a = await s.stats();
          await sleep(o.quick ? 1000 : 3500); // > one heartbeat interval (full run), so acks and pings have settled
          const b = await s.stats(true);
          const perConnKB = Math.round(((b.rss - base.rss) / n / 1024) * 100) / 100;
          const heapPerConnKB = Math.round(((b.heapUsed - base.heapUsed) / n / 1024) * 100) / 100;
          out.push({
            n,
            joinsPerSec: Math.round(((n - prev) / joinMs) * 1000),
            rssMB: Math.round(b.rss / 1048576),
            rssPerConnKB: perConnKB,
            heapPerConnKB,
            idleCpuPct: cpuPercent(a, b),
          });
          log(`  ${system} ${n} held: ${perConnKB} KB RSS/conn, idle cpu ${cpuPercent(a, b)}%`);
        }
        await Promise.all(ws.map((w) => w.call('idle.clear', {}, 120_000)));
        const last = out.filter((x) => typeof x.rssPerConnKB === 'number').pop();
        return { maxHeld, rssPerConnKBAtMax: last?.rssPerConnKB ?? null, steps: out };
      }),
    );
  }
  return r;
}
