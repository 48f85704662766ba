/**
 * `parley serve` as a separate process, the way a person runs a node: the real CLI (bin/parley.js)
 * with the given flags on 127.0.0.1, its URL read from the banner. A node can then be killed
 * (SIGKILL: a crash) or stopped (SIGTERM: a drain) like a real one.
 *
 * ```
 * startParleyProcess(['--redis', url, '--api-key', K, '--api-secret', S])
 *   spawn node bin/parley.js serve --host 127.0.0.1 --port 0 --data-dir :memory: ...
 *   stdout "Parley listening on http://127.0.0.1:P (WebSocket ws://...)"  → { url, wsUrl, port }
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { waitFor } from './wait-for.js';

/** The `parley` command of the workspace's @parley/server. */
export const PARLEY_BIN = join(
  dirname(createRequire(import.meta.url).resolve('@parley/server/package.json')),
  'bin',
  'parley.js',
);

/** A running `parley serve`. */
export interface ParleyProcess {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/v1/ws` */
  readonly wsUrl: string;
  readonly port: number;
  readonly pid: number;
  /** Everything it wrote (stdout then stderr, interleaved as read). */
  output(): string;
  /** Resolves when the process has exited, with its code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Send a signal (SIGKILL: a crash; SIGTERM: a graceful stop) and wait for the exit. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Start `parley serve` with `args` (after `--host 127.0.0.1 --port 0 --data-dir :memory:`, which
 * `args` may override) and wait for its banner.
 * @throws when it exits first or prints no banner within `timeoutMs`, with its output
 */
export async function startParleyProcess(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ParleyProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      PARLEY_BIN,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      ':memory:',
      '--log-format',
      'json',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
  );
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const banner = await waitFor<{ url: string; wsUrl: string }>(
    (resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        out += chunk.toString();
        const m = /Parley listening on (\S+) \(WebSocket (\S+)\)/.exec(out);
        if (m !== null) resolve({ url: m[1] as string, wsUrl: m[2] as string });
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then(({ code, signal }) => {
        reject(new Error(`parley serve exited (${signal ?? String(code)}) before listening:\n${out}`));
      });
    },
    options.timeoutMs ?? 20_000,
    'parley serve to print its banner',
  ).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    ...banner,
    port: Number(new URL(banner.url).port),
    pid: child.pid as number,
    output: () => out,
    exited,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
