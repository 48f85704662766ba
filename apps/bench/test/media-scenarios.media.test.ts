/**
 * Smoke test of the media scenarios of `npm run bench` in quick mode (the BUILT bench: run
 * `npm run build` first; `npm test -- <this file>` builds and runs it in a loopback-only
 * namespace): the media scenario measures both forwarder candidates, the streams scenario gives
 * first-frame times for relayed and routed and the 100 × 1/s latency with and without media.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertLoopbackOnly } from '@parley/testkit';

const RUN = fileURLToPath(new URL('../dist/run.js', import.meta.url));

interface Step {
  subscribers: number;
  forwardedPerSec: number;
  cpuUsPerPacket: number | null;
}

describe('bench media scenarios (quick)', () => {
  it('media measures werift and datachannel; streams measures first frames and the signal latency under media', () => {
    assertLoopbackOnly('the bench media scenarios');
    const dir = mkdtempSync(join(tmpdir(), 'parley-bench-smoke-'));
    try {
      const out = join(dir, 'r.json');
      const r = spawnSync(process.execPath, [RUN, '--quick', '--only=media,streams', `--out=${out}`], {
        encoding: 'utf8',
        timeout: 170_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const doc = JSON.parse(readFileSync(out, 'utf8')) as {
        results: Record<string, { perSystem: { parley: Record<string, unknown> } }>;
      };
      const candidates = doc.results.media?.perSystem.parley.candidates as Record<string, { steps: Step[] }>;
      for (const impl of ['werift', 'datachannel']) {
        const step = candidates[impl]?.steps[0];
        expect(step?.subscribers, impl).toBe(2);
        expect(step?.forwardedPerSec, impl).toBeGreaterThan(0);
        expect(step?.cpuUsPerPacket, impl).toBeGreaterThan(0);
      }
      const streams = doc.results.streams?.perSystem.parley as Record<string, Record<string, number>>;
      expect(streams.firstFrameRelayed?.n).toBe(3);
      const routed = streams.firstFrameRouted as unknown as Record<string, Record<string, number>>;
      for (const impl of ['werift', 'datachannel']) expect(routed[impl]?.n, impl).toBe(3);
      expect(streams.steadyWithoutMedia?.n).toBeGreaterThan(0);
      expect(streams.steadyWithMedia?.n).toBeGreaterThan(0);
      expect(streams.steadyWithMedia?.minDecodedFps).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
