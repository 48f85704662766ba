/**
 * 7. Parley only (ws and Socket.IO have no resume and no half-open detection of their own at this
 * level: the floor has none, Socket.IO's ping is 25 s + 20 s and reconnects as a new socket).
 *  a. resume time: K real Sessions in one session; the load side's "network" goes down (each
 *     Session's transport is reset and new attempts are refused) for 1 s, then comes back.
 *     Resume time = sessionDidReconnect − the moment the first transport after the return was
 *     opened (excludes the client's scheduled backoff); also reported from the return itself.
 *  b. half-open, client side: Sessions whose socket stops reading and writing with TCP up;
 *     time to sessionDidBeginReconnecting.
 *  c. half-open, server side: lean clients go silent with TCP up; time until an observer member
 *     receives connectionReconnecting for them.
 * Server timings are the defaults (heartbeat 2.5 s, timeout 7 s) unless the quick run shortens them.
 */
import { now, sleep } from '../lib/clock.js';
import { closeAll, joinMembers, type ScenarioResult } from '../lib/members.js';
import { Samples, summarize } from '../lib/stats.js';
import { at, log, withLoads, withServer, type RunOptions } from '../lib/harness.js';
import { connectParley, network, type ParleyBenchClient } from '../systems/parley-client.js';
import { connectLean, type LeanClient } from '../systems/parley-lean.js';
import type { JoinSpec } from '../systems/types.js';

export const resumeHandlers = {
  'resume.run': async (a: { spec: JoinSpec; k: number; rounds: number; outageMs: number }) => {
    const reconnectedAt = new Array<number>(a.k).fill(0);
    const sessions: ParleyBenchClient[] = [];
    for (let i = 0; i < a.k; i++) {
      sessions.push(
        await connectParley(
          a.spec,
          {
            reconnected: () => {
              reconnectedAt[i] = now();
            },
          },
          {},
        ),
      );
    }
    const excl = new Samples();
    const incl = new Samples();
    let notBack = 0;
    for (let r = 0; r < a.rounds; r++) {
      reconnectedAt.fill(0);
      network.down = true;
      for (const s of sessions) s.drop();
      await sleep(a.outageMs);
      const tUp = now();
      network.down = false;
      const t0 = now();
      while (reconnectedAt.some((t) => t === 0) && now() - t0 < 15_000) await sleep(5);
      sessions.forEach((s, i) => {
        const done = reconnectedAt[i] as number;
        const attempt = s.attempts.find((t) => t >= tUp);
        if (done === 0 || attempt === undefined) {
          notBack++;
          return;
        }
        excl.push(done - attempt);
        incl.push(done - tUp);
      });
      await sleep(300);
    }
    await closeAll(sessions);
    return { excludingBackoff: summarize(excl.values()), fromNetworkReturn: summarize(incl.values()), notBack };
  },
  'resume.halfopen': async (a: { spec: JoinSpec; k: number; limitMs: number }) => {
    // client side
    const began = new Array<number>(a.k).fill(0);
    const sessions: ParleyBenchClient[] = [];
    for (let i = 0; i < a.k; i++)
      sessions.push(
        await connectParley(
          a.spec,
          {
            reconnecting: () => {
              if (began[i] === 0) began[i] = now();
            },
          },
          {},
        ),
      );
    // server side
    const seen = new Map<string, number>();
    const observer = await connectLean(a.spec, {
      presence: (kind, id) => {
        if (kind === 'reconnecting' && !seen.has(id)) seen.set(id, now());
      },
    });
    const silent: LeanClient[] = (await joinMembers(a.spec, a.k, () => ({}), { lean: true })) as LeanClient[];
    await sleep(500);
    const t0 = now();
    for (const s of sessions) s.blackhole();
    for (const c of silent) c.silence();
    while ((began.some((t) => t === 0) || silent.some((c) => !seen.has(c.id))) && now() - t0 < a.limitMs)
      await sleep(20);
    const client = summarize(began.filter((t) => t > 0).map((t) => t - t0));
    const server = summarize(
      silent
        .map((c) => seen.get(c.id))
        .filter((t): t is number => t !== undefined)
        .map((t) => t - t0),
    );
    await closeAll([...sessions, observer]);
    for (const c of silent) void c.close();
    return { clientDetect: client, serverDetect: server };
  },
};

export async function runResume(o: RunOptions): Promise<ScenarioResult> {
  const k = o.quick ? 20 : 100;
  const rounds = o.quick ? 1 : 10;
  const timings = o.quick ? { heartbeatInterval: 500, heartbeatTimeout: 1500 } : undefined;
  const r: ScenarioResult = {
    scenario: 'resume',
    title: 'Parley resume and half-open detection (ms)',
    perSystem: {},
    notes: [
      `resume: ${k} Sessions, ${rounds} outage(s) of ${o.quick ? 300 : 1000} ms each; "excluding backoff" counts from the transport that succeeded being opened to sessionDidReconnect.`,
      `half-open: ${Math.min(k, 20)} Sessions blackholed (client detection) and ${Math.min(k, 20)} lean clients silenced (server detection, seen by an observer as connectionReconnecting).`,
      timings
        ? `quick run: half-open measured with heartbeat 500 ms / timeout 1500 ms to stay under a minute (defaults 2500/7000).`
        : 'server timings: defaults (heartbeat 2500 ms, timeout 7000 ms, window 30 s).',
      'ws floor and Socket.IO: no equivalent (no resume with replay; Socket.IO detects a dead peer by its 25 s + 20 s ping).',
    ],
  };
  log('resume: parley');
  r.perSystem.parley = await withServer('parley', (s) =>
    withLoads(1, async (ws) => {
      const w = at(ws, 0);
      const [room] = await s.rooms(1);
      const spec = { server: s.info, room };
      const resume = await w.call('resume.run', { spec, k, rounds, outageMs: o.quick ? 300 : 1000 }, 600_000);
      return { ...(resume as object) };
    }),
  );
  const half = await withServer(
    'parley',
    (s) =>
      withLoads(1, async (ws) => {
        const w = at(ws, 0);
        const [room] = await s.rooms(1);
        return w.call(
          'resume.halfopen',
          { spec: { server: s.info, room }, k: Math.min(k, 20), limitMs: 20_000 },
          120_000,
        );
      }),
    { parley: timings ? { timings } : {} },
  );
  r.perSystem.parley = { ...r.perSystem.parley, ...(half as object) };
  return r;
}
