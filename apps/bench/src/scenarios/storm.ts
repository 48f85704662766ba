/**
 * 6. Reconnect storm: N connections (rooms of 10) have their TCP connections reset at the same
 * instant by the load processes, and come back by themselves: Parley resumes (the real Session,
 * its default reconnect policy), the floor client reconnects at once, Socket.IO with its default
 * backoff. Time until all are back. Parley: one observer per room in a separate process (not
 * dropped) and every member count connectionCreated/connectionDestroyed seen during the storm:
 * those would be duplicate join/leave events and must be 0. ws/Socket.IO have no presence events.
 */
import { now, sleep } from '../lib/clock.js';
import { closeAll, joinMembers, type ScenarioResult } from '../lib/members.js';
import { Samples, summarize } from '../lib/stats.js';
import { cpuPercent, log, profilePhase, withLoads, withServer, type RunOptions } from '../lib/harness.js';
import { resetAllTo } from '../systems/clients.js';
import type { BenchClient, JoinSpec, ServerInfo, SystemName } from '../systems/types.js';

const ROOM_SIZE = 10;

let clients: BenchClient[] = [];
let storming = false;
let presenceEvents = 0;
let tDrop = 0;
let backAt: number[] = [];
let back = 0;
let reconnecting = 0;

export const stormHandlers = {
  'storm.join': async (a: { server: ServerInfo; rooms: string[]; from: number; to: number; observers?: boolean }) => {
    const spec = (i: number): JoinSpec => ({
      server: a.server,
      room: a.rooms[a.observers ? a.from + i : Math.floor((a.from + i) / ROOM_SIZE)] as string,
    });
    const n = a.to - a.from;
    backAt = new Array<number>(n).fill(0);
    clients = await joinMembers(
      spec,
      n,
      (i) => ({
        presence: (kind) => {
          if (storming && (kind === 'created' || kind === 'destroyed')) presenceEvents++;
        },
        reconnecting: () => {
          if (storming) reconnecting++;
        },
        reconnected: () => {
          if (storming && backAt[i] === 0) {
            backAt[i] = now();
            back++;
          }
        },
      }),
      { reconnect: true },
      a.server.system === 'parley' ? 50 : 100,
    );
    return clients.length;
  },
  'storm.arm': () => {
    storming = true;
    presenceEvents = 0;
    back = 0;
    reconnecting = 0;
    backAt.fill(0);
    return 0;
  },
  /** Reset every TCP connection to the server at once; wait until all are back or the limit. */
  'storm.drop': async (a: { port: number; limitMs: number }) => {
    tDrop = now();
    const reset = resetAllTo(a.port);
    while (back < clients.length && now() - tDrop < a.limitMs) await sleep(20);
    const lat = new Samples();
    let last = 0;
    for (const t of backAt)
      if (t > 0) {
        lat.push(t - tDrop);
        last = Math.max(last, t);
      }
    return {
      tDrop,
      reset,
      back,
      total: clients.length,
      lastBack: last,
      perClient: summarize(lat.values()),
      reconnecting,
    };
  },
  'storm.presence': () => presenceEvents,
  'storm.leave': async () => {
    storming = false;
    await closeAll(clients, 200);
    clients = [];
    return 0;
  },
};

export async function runStorm(systems: readonly SystemName[], o: RunOptions): Promise<ScenarioResult> {
  const n = o.quick ? 500 : 10000;
  const loads = o.quick ? 1 : 4;
  const limitMs = 30_000;
  const r: ScenarioResult = {
    scenario: 'storm',
    title: `reconnect storm: ${n} connections reset at once`,
    perSystem: {},
    notes: [
      `${n} members in rooms of ${ROOM_SIZE}, ${loads} load process(es); each load process resets all its TCP connections (RST) at the same instant; limit ${limitMs / 1000} s.`,
      'Parley: real Sessions resume with the default reconnect policy (first attempt at once, then full-jitter backoff 250 ms→5 s); ws floor: reconnects at once; Socket.IO: its default reconnection (1 s ±50%, up to 5 s).',
      'Duplicate join/leave = connectionCreated/connectionDestroyed seen by the per-room observers (separate, not-dropped process) and by the members themselves during the storm. ws/Socket.IO have no presence, so N/A.',
    ],
  };
  for (const system of systems) {
    log(`storm: ${system}`);
    r.perSystem[system] = await withServer(system, (s) =>
      withLoads(loads + (system === 'parley' ? 1 : 0), async (ws) => {
        const members = ws.slice(0, loads);
        const observer = system === 'parley' ? ws[loads] : undefined;
        const rooms = await s.rooms(Math.ceil(n / ROOM_SIZE));
        const per = Math.ceil(n / loads);
        const t0 = Date.now();
        await Promise.all(
          members.map((w, k) =>
            w.call('storm.join', { server: s.info, rooms, from: k * per, to: Math.min(n, (k + 1) * per) }, 600_000),
          ),
        );
        if (observer)
          await observer.call(
            'storm.join',
            { server: s.info, rooms, from: 0, to: rooms.length, observers: true },
            600_000,
          );
        log(`  ${system}: ${n} joined in ${Date.now() - t0} ms`);
        await sleep(o.quick ? 300 : 3000);
        await Promise.all(ws.map((w) => w.call('storm.arm')));
        const stopProfile = await profilePhase(`storm-${system}`, [s.worker, ...ws]);
        const before = await s.stats();
        const res = await Promise.all(
          members.map((w) =>
            w.call<{
              tDrop: number;
              back: number;
              total: number;
              lastBack: number;
              reset: number;
              perClient: { p50: number; p99: number };
            }>('storm.drop', { port: s.info.port, limitMs }, limitMs + 30_000),
          ),
        );
        const after = await s.stats();
        await stopProfile();
        await sleep(o.quick ? 300 : 2000);
        const dupMembers =
          system === 'parley'
            ? (await Promise.all(members.map((w) => w.call<number>('storm.presence')))).reduce((x, y) => x + y, 0)
            : null;
        const dupObserver = observer ? await observer.call<number>('storm.presence') : null;
        const backTotal = res.reduce((x, y) => x + y.back, 0);
        const firstDrop = Math.min(...res.map((x) => x.tDrop));
        const allBackMs = backTotal === n ? Math.round(Math.max(...res.map((x) => x.lastBack)) - firstDrop) : null;
        log(
          `  ${system}: ${backTotal}/${n} back, all back in ${allBackMs ?? '—'} ms; duplicates members ${dupMembers} observer ${dupObserver}`,
        );
        await Promise.all(ws.map((w) => w.call('storm.leave', {}, 120_000)));
        return {
          n,
          reset: res.reduce((x, y) => x + y.reset, 0),
          back: backTotal,
          allBackMs,
          perClientP50: Math.max(...res.map((x) => x.perClient.p50)),
          perClientP99: Math.max(...res.map((x) => x.perClient.p99)),
          duplicateJoinLeaveObserver: dupObserver,
          duplicateJoinLeaveMembers: dupMembers,
          serverCpuPct: cpuPercent(before, after),
        };
      }),
    );
  }
  return r;
}
