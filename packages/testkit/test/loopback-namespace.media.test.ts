/**
 * The media tier's namespace, seen from inside (this file runs in the media tier: `npm test` puts
 * it in the network namespace it makes for `*.media.test.ts`): only loopback, and up; testkit's
 * checks agree; `inLoopbackNamespace` spells the same command line as scripts/test.mjs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  assertLoopbackOnly,
  inLoopbackNamespace,
  LOOPBACK_NAMESPACE_SCRIPT,
  nonLoopbackInterfaces,
} from '@parley/testkit';

describe('the media tier runs in a loopback-only network namespace', () => {
  it('has loopback, up, and no other interface', () => {
    const r = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const links = r.stdout.trimEnd().split('\n');
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    expect(nonLoopbackInterfaces()).toEqual([]);
    expect(() => {
      assertLoopbackOnly();
    }).not.toThrow();
  });

  it('inLoopbackNamespace builds the command line scripts/test.mjs runs', () => {
    expect(inLoopbackNamespace(['node', 'bench.js', '--quick'])).toEqual([
      'unshare',
      '-n',
      'sh',
      '-c',
      'ip link set lo up && exec "$@"',
      'sh',
      'node',
      'bench.js',
      '--quick',
    ]);
    const script = readFileSync(fileURLToPath(new URL('../../../scripts/test.mjs', import.meta.url)), 'utf8');
    expect(script).toContain(`const IN_NAMESPACE = '${LOOPBACK_NAMESPACE_SCRIPT}';`);
    expect(() => inLoopbackNamespace([])).toThrow(TypeError);
  });
});
