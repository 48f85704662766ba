/**
 * npm run bench [-- --quick] [--only=connect,fanout,steady,burst,idle,storm,resume,media,streams,cluster,node-death]
 *                [--systems=floor,socketio,parley] [--profile] [--out=bench-results/latest.json]
 *                [--rates=7000 (fan-out: these rates instead of the sweep)]
 *                [--forwarders=werift,datachannel (media: the forwarder candidates)]
 * Three systems side by side, each server in its own process, load in separate processes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem, release } from 'node:os';
import { dirname, resolve } from 'node:path';
import { log, profileInto, type RunOptions } from './lib/harness.js';
import type { ScenarioResult } from './lib/members.js';
import { SYSTEMS, type SystemName } from './systems/types.js';
import { runConnect } from './scenarios/connect.js';
import { runFanout } from './scenarios/fanout.js';
import { runSteady } from './scenarios/steady.js';
import { runBurst } from './scenarios/burst.js';
import { runIdle } from './scenarios/idle.js';
import { runStorm } from './scenarios/storm.js';
import { runResume } from './scenarios/resume.js';
import { runMedia } from './scenarios/media.js';
import { runStreams } from './scenarios/streams.js';
import { runCluster } from './scenarios/cluster.js';
import { runNodeDeath } from './scenarios/node-death.js';
import { goalTable, goals, rows, table } from './report.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const a = args.find((x) => x === `--${name}` || x.startsWith(`--${name}=`));
  if (a === undefined) return undefined;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : '';
};
const quick = flag('quick') !== undefined;
const only = flag('only')?.split(',').filter(Boolean);
const systems = (flag('systems')?.split(',').filter(Boolean) ?? [...SYSTEMS]) as SystemName[];
const out = resolve(flag('out') || 'bench-results/latest.json');
const profileDir = flag('profile') !== undefined ? resolve(dirname(out), 'profiles') : undefined;
const rates = flag('rates')?.split(',').filter(Boolean).map(Number);
const forwarders = flag('forwarders')?.split(',').filter(Boolean) as RunOptions['forwarders'];
const opts: RunOptions = {
  quick,
  ...(profileDir ? { profileDir } : {}),
  ...(rates ? { rates } : {}),
  ...(forwarders ? { forwarders } : {}),
};

const SCENARIOS: [string, () => Promise<ScenarioResult>][] = [
  ['connect', () => runConnect(systems, opts)],
  ['fanout', () => runFanout(systems, opts)],
  ['steady', () => runSteady(systems, opts)],
  ['burst', () => runBurst(systems, opts)],
  ['idle', () => runIdle(systems, opts)],
  ['storm', () => runStorm(systems, opts)],
  ['resume', () => runResume(opts)],
  ['media', () => runMedia(opts)],
  ['streams', () => runStreams(opts)],
  // Two nodes through a private redis-server (needs /usr/bin/redis-server); leave it out only by name (--only=...).
  ['cluster', () => runCluster(systems, opts)],
  // Parley only: SIGKILL one of two nodes; time until its peers are told and its clients are back (~1 min, bounded).
  ['node-death', () => runNodeDeath(opts)],
];

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  // Every run stops by itself.
  const hardLimit = setTimeout(
    () => {
      log('hard time limit reached; stopping');
      process.exit(2);
    },
    (quick ? 3 : 30) * 60_000,
  );
  hardLimit.unref();
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  profileInto(profileDir);
  const results: Record<string, ScenarioResult | { error: string }> = {};
  for (const [name, run] of SCENARIOS) {
    if (only && !only.includes(name)) continue;
    if ((name === 'resume' || name === 'node-death') && !systems.includes('parley')) continue;
    try {
      results[name] = await run();
    } catch (e) {
      log(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      results[name] = { error: e instanceof Error ? e.message : String(e) };
    }
  }
  // The cluster's knee as a ratio to the one-node knee and to Socket.IO + Redis, from this run.
  const knee = (scenario: string, system: string): number | undefined => {
    const res = results[scenario];
    if (res === undefined || 'error' in res) return undefined;
    const m = res.perSystem[system as SystemName] as { kneeDeliveriesPerSec?: number } | undefined;
    return m?.kneeDeliveriesPerSec;
  };
  const cluster = results.cluster;
  if (cluster !== undefined && !('error' in cluster)) {
    const two = knee('cluster', 'parley');
    const one = knee('fanout', 'parley');
    const sio = knee('cluster', 'socketio');
    if (two !== undefined && one !== undefined && one > 0)
      cluster.notes.push(`Parley two-node knee ÷ one-node knee (this run): ${(two / one).toFixed(2)}`);
    if (two !== undefined && sio !== undefined && sio > 0)
      cluster.notes.push(`Parley two-node knee ÷ Socket.IO + Redis adapter two-node knee: ${(two / sio).toFixed(2)}`);
  }
  const rs = rows(results);
  const gs = goals(results, quick ? 1000 : 18000, quick ? 500 : 10000);
  const doc = {
    kind: quick ? 'quick' : 'full',
    date: new Date().toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memGB: Math.round(totalmem() / 2 ** 30),
      freeGB: Math.round(freemem() / 2 ** 30),
      node: process.version,
      kernel: release(),
      loadavgAtStart: loadAtStart,
      loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    command: `npm run bench${args.length ? ' -- ' + args.join(' ') : ''}`,
    table: rs,
    goals: gs,
    results,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(doc, null, 2));
  process.stdout.write(
    `\nParley bench (${doc.kind}, ${doc.durationS} s) — ratios are Parley ÷ peer (for latency and memory, < 1 is better; for throughput and counts, > 1 is better)\n\n`,
  );
  // A quick run proves the harness works; its sizes (N, steps) are too small to judge the goals.
  const verdicts = quick
    ? 'goals of issue 5: not judged on a quick run (small N, short steps); run the full bench'
    : goalTable(gs);
  process.stdout.write(table(rs) + '\n\n' + verdicts + '\n\n');
  process.stdout.write(
    `load average at start ${loadAtStart.join(' ')}, at end ${doc.machine.loadavgAtEnd.join(' ')} (2 vCPU: above ~1.5 the figures are noisy)\nresults: ${out}\n`,
  );
  const failed = Object.values(results).some((r) => 'error' in r);
  process.exit(failed ? 1 : 0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
