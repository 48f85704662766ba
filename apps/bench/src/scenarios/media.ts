/**
 * Routed forwarding: one synthetic publisher (about 1 Mbit/s of VP8-sized video packets plus
 * 50 Opus-sized audio packets a second) through Parley's forwarder (werift in its worker
 * thread) to N synthetic subscribers, N raised in steps until loss passes 1 % or the p99
 * forwarding delay passes 50 ms. Per step: the forwarder worker's busy time per forwarded packet
 * (event-loop utilisation of the worker thread), its heap, loss and delay percentiles. The
 * subscribers run in this (bench) process, so past some N they, not the forwarder, are the
 * bottleneck: the notes say so when the bench process is saturated. It runs inside a
 * loopback-only network namespace (it starts itself again under `unshare -n` when it is not in
 * one: root is needed, as for npm test's media tier).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createForwarder, type ForwarderStats } from '@parley/server';
import { SyntheticPublisher, SyntheticSubscriber } from '@parley/server/media-peers';
import { sleep } from '../lib/clock.js';
import { log, type RunOptions } from '../lib/harness.js';
import type { Metrics, ScenarioResult } from '../lib/members.js';

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

export async function runMedia(o: RunOptions): Promise<ScenarioResult> {
  const steps = o.quick ? [2] : [2, 5, 10, 20, 30, 40, 60];
  const measureMs = o.quick ? 2_000 : 8_000;
  const r: ScenarioResult = {
    scenario: 'media',
    title: 'routed forwarding: one publisher (1 Mbit/s video + audio) to N subscribers',
    perSystem: {},
    notes: [
      `candidate werift (worker thread); steps ${steps.join(', ')}; ${measureMs / 1000} s measured per step; stop at loss > 1 % or p99 delay > 50 ms.`,
      'CPU = forwarder worker event-loop busy time ÷ packets forwarded; delay = publisher send → subscriber receive (one clock).',
      'node-datachannel: not measured in this run (see docs/BENCHMARKS.md).',
    ],
  };
  const others = Object.keys(networkInterfaces()).filter((i) => i !== 'lo');
  // The synthetic peers are full werift ICE agents: outside a loopback-only namespace they would
  // gather on real interfaces and ask a public STUN server. So the scenario runs itself again in
  // one (unshare -n, as npm test does for its media tier) and reads that run's result.
  if (others.length > 0) return inLoopbackNamespace(o);
  const f = createForwarder();
  const pub = new SyntheticPublisher();
  const subs: SyntheticSubscriber[] = [];
  const out: Metrics[] = [];
  let best = 0;
  try {
    await f.createRouter('bench');
    const p = await f.publish('bench', 'pub', await pub.offer());
    await pub.accept(p.answer);
    await waitConnected(f, 'pub');
    pub.start({ videoBps: 1_000_000 });
    const ids = p.producers.map((x) => x.producerId);
    for (const n of steps) {
      while (subs.length < n) {
        const sub = new SyntheticSubscriber('127.0.0.1', false);
        const tid = `sub${subs.length}`;
        const a = await f.subscribe('bench', tid, ids, await sub.offer());
        await sub.accept(a.answer);
        await waitConnected(f, tid);
        subs.push(sub);
      }
      await sleep(1_000); // settle: key frame, first reports
      for (const s of subs)
        for (const k of ['audio', 'video'] as const) {
          s.received[k].delays.length = 0;
          s.received[k].packets = 0;
        }
      const sentBefore = pub.sent;
      const before: ForwarderStats = await f.stats();
      const cpu0 = process.cpuUsage();
      await sleep(measureMs);
      const after = await f.stats();
      const cpu1 = process.cpuUsage(cpu0);
      const sent = pub.sent - sentBefore;
      const received = subs.map((s) => s.received.audio.packets + s.received.video.packets);
      const loss = Math.max(0, ...received.map((x) => 1 - x / sent));
      const delays = subs.flatMap((s) => [...s.received.video.delays, ...s.received.audio.delays]);
      const forwarded = after.packetsOut - before.packetsOut;
      const m: Metrics = {
        subscribers: n,
        forwardedPerSec: Math.round((forwarded / measureMs) * 1000),
        cpuUsPerPacket:
          forwarded > 0
            ? Math.round((((after.workerBusyMs - before.workerBusyMs) * 1000) / forwarded) * 10) / 10
            : null,
        workerHeapMB: Math.round((after.workerHeapBytes / 2 ** 20) * 10) / 10,
        worstLossPct: Math.round(loss * 1000) / 10,
        p50DelayMs: Math.round(quantile(delays, 0.5) * 10) / 10,
        p99DelayMs: Math.round(quantile(delays, 0.99) * 10) / 10,
        benchProcessCpuPct: Math.round(((cpu1.user + cpu1.system) / 1000 / measureMs) * 100),
      };
      out.push(m);
      log(`media: ${JSON.stringify(m)}`);
      if (loss > 0.01 || (m.p99DelayMs as number) > 50) break;
      best = n;
    }
  } finally {
    pub.stop();
    await Promise.all(subs.map((s) => s.close()));
    await pub.close();
    await f.close();
  }
  r.perSystem.parley = { candidate: 'werift', maxSubscribersWithinBounds: best, steps: out };
  return r;
}

function waitConnected(f: ReturnType<typeof createForwarder>, transportId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`media bench: transport ${transportId} did not connect`));
    }, 20_000);
    const off = f.onEvent((e) => {
      if (e.type === 'transport-state' && e.transportId === transportId && e.state === 'connected') {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}

/** This scenario, run by a child bench process inside a loopback-only network namespace. */
function inLoopbackNamespace(o: RunOptions): ScenarioResult {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-media-'));
  const out = join(dir, 'media.json');
  const run = fileURLToPath(new URL('../run.js', import.meta.url));
  const argv = [process.execPath, run, '--only=media', `--out=${out}`, ...(o.quick ? ['--quick'] : [])];
  log(`media: running in a loopback-only network namespace (unshare -n)`);
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...argv], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    if (r.status !== 0)
      throw new Error(
        `the media scenario needs a loopback-only network namespace: unshare -n failed (${r.error?.message ?? `exit ${String(r.status)}`}); run the bench as root`,
      );
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { results: { media: ScenarioResult | { error: string } } };
    if ('error' in doc.results.media) throw new Error(doc.results.media.error);
    return doc.results.media;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
