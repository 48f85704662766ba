/**
 * Every command the README and the server's banner print works as printed on a fresh clone
 * (issue 9 #2). Which commands: every line of every ```sh block of README.md, and the command
 * lines of the banner `npm start` prints. Two README lines are not run as such:
 *   - `npm ci && npm start`: `npm ci` would download everything, so the clone gets a copy of this
 *     checkout's node_modules with the `parley` bin link removed, and `npm rebuild
 *     --ignore-scripts` links the bins again from the packages' package.json as `npm ci` does
 *     (that package-lock.json says the same bin is checked below); then `npm start` runs for real
 *     (with PARLEY_PORT=0: port 8720 may be taken on a shared machine), building the fresh clone.
 *   - `npm test`: it would run this test again.
 * `npx` runs offline (npm_config_offline), so a command that would fetch the unrelated registry
 * package `parley` fails here instead of passing. `SESSION_ID` is replaced by the ID printed by
 * the `session create` just before. Bounded: about a minute of build, 15 s per command.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handshakeQuery } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT } from './support/cli-run.js';
import { RawClient } from './support/raw-client.js';

/** README lines the test does not run verbatim (see the header). */
const NOT_VERBATIM = new Set(['npm ci && npm start', 'npm test']);

let tmp: string;
let clone: string;
let server: ChildProcess | undefined;
let banner = '';
let unbuilt: { status: number | null; stdout: string; stderr: string };

/** The lines of the README's ```sh blocks, comments and blanks left out (the shell runs the rest as is). */
function readmeShellLines(): string[] {
  const readme = readFileSync(join(clone, 'README.md'), 'utf8'); // the README as committed
  const lines: string[] = [];
  for (const block of readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    for (const line of (block[1] ?? '').split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command !== '' && !command.startsWith('#')) lines.push(command);
    }
  }
  return lines;
}

const env = () => cleanEnv({ npm_config_offline: 'true', npm_config_update_notifier: 'false' });

function run(command: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', command], { cwd: clone, env: env(), encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'parley-clone-'));
  clone = join(tmp, 'parley');
  execFileSync('git', ['clone', '--quiet', ROOT, clone], { stdio: 'pipe' });
  cpSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  rmSync(join(clone, 'node_modules/.bin/parley'), { force: true });
  execFileSync('npm', ['rebuild', '--ignore-scripts'], { cwd: clone, env: env(), stdio: 'pipe' });
  expect(existsSync(join(clone, 'packages/server/dist'))).toBe(false);
  // The bin is linked before any build, and says so instead of npx's "could not determine executable".
  unbuilt = run('npx parley --version');

  // `npm start`, in its own process group so the stop reaches npm and the server it started.
  server = spawn('npm', ['start'], { cwd: clone, env: { ...env(), PARLEY_PORT: '0' }, detached: true });
  server.stdout?.setEncoding('utf8');
  let errors = '';
  server.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    errors += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`npm start printed no banner within 200 s:\n${banner}\n${errors}`));
    }, 200_000);
    server?.stdout?.on('data', (chunk: string) => {
      banner += chunk;
      if (/ token SESSION_ID .*\n/.test(banner)) {
        clearTimeout(timer);
        resolve();
      }
    });
    server?.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited ${code}:\n${banner}\n${errors}`));
    });
  });
}, 240_000);

afterAll(async () => {
  const child = server;
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
  rmSync(tmp, { recursive: true, force: true });
}, 30_000);

describe('a fresh clone, following the README and the banner', () => {
  it('package-lock.json links the same bin as package.json (what npm ci links)', () => {
    const pkg = JSON.parse(readFileSync(join(clone, 'packages/server/package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    const lock = JSON.parse(readFileSync(join(clone, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { bin?: Record<string, string> }>;
    };
    expect(pkg.bin).toEqual({ parley: './bin/parley.js' });
    expect(lock.packages['packages/server']?.bin).toEqual({ parley: 'bin/parley.js' });
    expect(existsSync(join(clone, 'packages/server/bin/parley.js'))).toBe(true);
  });

  it('before the build, npx parley runs the linked bin, which says to build first', () => {
    expect(unbuilt).toEqual({
      status: 1,
      stdout: '',
      stderr: 'parley: the server is not built yet (no dist/cli.js): run `npm run build` in the repository\n',
    });
  });

  it('the banner commands work as printed', () => {
    const commands = banner
      .split('\n')
      .filter((l) => l.startsWith('  npx ') || l.startsWith('  node '))
      .map((l) => l.trim());
    expect(commands).toEqual(['npx parley session create', 'npx parley token SESSION_ID --role publisher']);
    const created = run(commands[0]!);
    expect(created.stderr).toBe('');
    const sessionId = created.stdout.trim();
    expect(sessionId).toMatch(/^[12]_[A-Za-z0-9_-]+$/);
    const token = run(commands[1]!.replace('SESSION_ID', sessionId));
    expect(token.stderr).toBe('');
    expect(token.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });

  it("every line of the README's sh blocks works as printed; the server accepts the token", async () => {
    const lines = readmeShellLines();
    expect(lines.filter((l) => NOT_VERBATIM.has(l))).toEqual([...NOT_VERBATIM]);
    let sessionId: string | undefined;
    let token: string | undefined;
    for (const line of lines.filter((l) => !NOT_VERBATIM.has(l))) {
      const command = sessionId === undefined ? line : line.replace('SESSION_ID', sessionId);
      expect(command, 'SESSION_ID is printed by an earlier line').not.toContain('SESSION_ID');
      const r = run(command);
      expect(r.stderr, command).toBe('');
      expect(r.status, command).toBe(0);
      if (/ session create/.test(command)) sessionId = r.stdout.trim();
      if (/ token /.test(command)) token = r.stdout.trim();
    }
    expect(sessionId).toMatch(/^[12]_/);
    expect(token).toBeDefined();
    const apiKey = /API key: +(\d+)/.exec(banner)?.[1] ?? '';
    const wsUrl = /WebSocket (ws:\/\/\S+)\)/.exec(banner)?.[1];
    const client = new RawClient(
      `${wsUrl}?${handshakeQuery({ kind: 'join', apiKey, sessionId: sessionId!, token: token! })}`,
    );
    expect(await client.nextOf('welcome')).toMatchObject({ role: 'moderator', connection: { data: 'name=Alice' } });
    client.send({ t: 'bye' });
    expect((await client.close()).code).toBe(1000);
  });
});
