/**
 * Run the `parley` CLI as a user does, through its committed bin (packages/server/bin/parley.js),
 * and start `parley serve` waiting (with a deadline) for its banner.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const BIN = join(ROOT, 'packages/server/bin/parley.js');

/** Build the server package once per file (the bin imports dist/cli.js). */
export function buildServer(): void {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'packages/server'], {
    cwd: ROOT,
    stdio: 'pipe',
  });
}

/** The environment without any PARLEY_* variable of the caller's, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PARLEY_')) e[k] = v;
  return { ...e, ...extra };
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `parley ARGS` to completion (bounded: 15 s). */
export function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: cleanEnv(opts.env),
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Serving {
  readonly child: ChildProcess;
  readonly out: string;
  stderr(): string;
}

/** Start `parley serve ARGS` (under `umask` if given) and wait until it printed its banner (the token line ends it). */
export async function serve(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; umask?: string } = {},
): Promise<Serving> {
  const argv = [BIN, 'serve', ...args];
  const spawnOpts = { cwd: opts.cwd ?? ROOT, env: cleanEnv(opts.env) };
  const child =
    opts.umask === undefined
      ? spawn(process.execPath, argv, spawnOpts)
      : spawn('/bin/sh', ['-c', `umask ${opts.umask}; exec "$0" "$@"`, process.execPath, ...argv], spawnOpts);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no banner within 15 s: ${out}\n${err}`));
    }, 15_000);
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (/ token SESSION_ID .*\n/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${out}\n${err}`));
    });
  });
  return { child, out, stderr: () => err };
}

/** SIGTERM (or `signal`) and wait for the exit code. */
export function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode);
      return;
    }
    child.once('exit', (code) => {
      resolve(code);
    });
    child.kill(signal);
  });
}
