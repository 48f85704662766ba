/**
 * The network rule for media (issue 11): libwebrtc (Chromium, `@roamhq/wrtc`) picks the machine's
 * external interface even when only 127.0.0.1 candidates are exchanged, so anything that carries
 * WebRTC audio or video runs in a network namespace that has only loopback, with the server it
 * talks to inside it too:
 *
 * ```
 *   unshare -n sh -c 'ip link set lo up && exec "$@"' sh <command…>
 * ```
 *
 * `npm test` runs the media tier (`*.media.test.ts`) that way itself (scripts/test.mjs, which
 * spells the same line: it runs before anything is built); a benchmark that carries media spawns
 * its runner through {@link inLoopbackNamespace}; a media test or runner calls
 * {@link assertLoopbackOnly} first, so it can never run outside one by mistake.
 */
import { networkInterfaces } from 'node:os';

/** The shell line run inside the new namespace: loopback up, then become the command ("$@"). */
export const LOOPBACK_NAMESPACE_SCRIPT = 'ip link set lo up && exec "$@"';

/**
 * The argv that runs `command` in a new loopback-only network namespace (needs root or
 * CAP_SYS_ADMIN). Spawn it without a shell: the command's arguments are passed as they are.
 * @example
 * const [file, ...args] = inLoopbackNamespace([process.execPath, 'apps/bench/dist/media.js']);
 * spawnSync(file, args, { stdio: 'inherit' });
 */
export function inLoopbackNamespace(command: readonly string[]): string[] {
  if (command.length === 0) throw new TypeError('inLoopbackNamespace needs a command');
  return ['unshare', '-n', 'sh', '-c', LOOPBACK_NAMESPACE_SCRIPT, 'sh', ...command];
}

/** The network interfaces of this process's namespace other than loopback (empty inside one). */
export function nonLoopbackInterfaces(): string[] {
  return Object.entries(networkInterfaces())
    .filter(([, addresses]) => (addresses ?? []).some((a) => !a.internal))
    .map(([name]) => name);
}

/**
 * Throw unless this process runs in a network namespace with only loopback, saying what to run
 * instead. `what` names the caller in the message ("this media test", "the media benchmark").
 */
export function assertLoopbackOnly(what = 'this media test'): void {
  const others = nonLoopbackInterfaces();
  if (others.length === 0) return;
  throw new Error(
    `${what} carries WebRTC media and must run in a loopback-only network namespace, but this one has ${others.join(', ')}: ` +
      `run it through npm test (npm test -- FILE), or as root: unshare -n sh -c 'ip link set lo up && exec "$@"' sh npx vitest run FILE`,
  );
}
