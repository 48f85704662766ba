/**
 * Scenarios that carry WebRTC media run inside a loopback-only network namespace (libwebrtc and
 * werift's ICE agents would otherwise gather on the machine's real interfaces): when this
 * process has another interface, the scenario runs again in a child bench under `unshare -n`
 * (root needed, as for npm test's media tier) and its result is read back.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, type RunOptions } from './harness.js';
import type { ScenarioResult } from './members.js';

/** True when this process sees only the loopback interface. */
export function inLoopbackOnlyNamespace(): boolean {
  return Object.keys(networkInterfaces()).every((i) => i === 'lo');
}

/** Runs `scenario` in a child bench inside a loopback-only namespace and returns its result. */
export function runInLoopbackNamespace(scenario: string, o: RunOptions): ScenarioResult {
  const dir = mkdtempSync(join(tmpdir(), `parley-bench-${scenario}-`));
  const out = join(dir, `${scenario}.json`);
  const run = fileURLToPath(new URL('../run.js', import.meta.url));
  const argv = [
    process.execPath,
    run,
    `--only=${scenario}`,
    `--out=${out}`,
    ...(o.quick ? ['--quick'] : []),
    ...(o.forwarders ? [`--forwarders=${o.forwarders.join(',')}`] : []),
  ];
  log(`${scenario}: running in a loopback-only network namespace (unshare -n)`);
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...argv], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    if (r.status !== 0)
      throw new Error(
        `the ${scenario} scenario needs a loopback-only network namespace: unshare -n failed (${r.error?.message ?? `exit ${String(r.status)}`}); run the bench as root`,
      );
    const doc = JSON.parse(readFileSync(out, 'utf8')) as {
      results: Record<string, ScenarioResult | { error: string }>;
    };
    const res = doc.results[scenario];
    if (res === undefined) throw new Error(`${scenario}: the namespaced run wrote no result`);
    if ('error' in res) throw new Error(res.error);
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
