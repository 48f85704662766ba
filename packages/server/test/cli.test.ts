import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloseCode, handshakeQuery } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './support/raw-client.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'packages/server/dist/cli.js');
let dataDir: string;

beforeAll(() => {
  execFileSync('npx', ['tsc', '-b', 'packages/server'], { cwd: ROOT, stdio: 'pipe' });
  dataDir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
}, 120_000);
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

function cli(...args: string[]): string {
  return execFileSync('node', [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PARLEY_DATA_DIR: '' },
  }).trim();
}

/** Start `parley serve` and wait (with a deadline) until it printed its banner. */
async function serve(...args: string[]): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn('node', [CLI, 'serve', '--port', '0', '--data-dir', dataDir, ...args], { cwd: ROOT });
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no banner: ${out}`));
    }, 10_000);
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('parley token')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      reject(new Error(`exited ${code}: ${out}`));
    });
  });
  return { child, out };
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => {
      resolve(code);
    });
    child.kill('SIGTERM');
  });
}

describe('parley CLI', () => {
  it('--help prints usage', () => {
    expect(cli('--help')).toMatch(/parley serve \[--port N\]/);
  });

  it('serve on an empty data dir prints the URL and new credentials; a restart keeps them and the sessions', async () => {
    const first = await serve();
    expect(first.out).toMatch(/Parley listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(first.out).toMatch(/Created a development project/);
    const apiKey = /API key: +(\d{8})/.exec(first.out)?.[1];
    const apiSecret = /API secret: +([0-9a-f]{40})/.exec(first.out)?.[1];
    expect(apiKey).toBeDefined();
    expect(apiSecret).toBeDefined();
    expect(first.out).toContain(`parley session create --data-dir ${dataDir}`);

    // with the server running, create a session and a token in the same data dir
    const sessionId = cli('session', 'create', '--data-dir', dataDir);
    expect(sessionId).toMatch(/^1_[A-Za-z0-9_-]+$/);
    const token = cli('token', sessionId, '--role', 'moderator', '--data', 'name=cli', '--data-dir', dataDir);
    expect(await stop(first.child)).toBe(0);

    const second = await serve();
    expect(second.out).not.toMatch(/Created a development project/);
    expect(second.out).toContain(`API key:    ${apiKey}`);
    expect(second.out).toContain(`API secret: ${apiSecret}`);
    const wsUrl = /WebSocket (ws:\/\/\S+)\)/.exec(second.out)?.[1];
    const client = new RawClient(`${wsUrl}?${handshakeQuery({ kind: 'join', apiKey: apiKey!, sessionId, token })}`);
    const welcome = await client.nextOf('welcome');
    expect(welcome).toMatchObject({ role: 'moderator', connection: { data: 'name=cli' } });
    const exited = stop(second.child);
    expect((await client.close()).code).toBe(4013);
    expect(await exited).toBe(0);
  }, 30_000);

  it('serve --drain node: SIGTERM closes clients with 4016 NodeDraining (resume elsewhere), not 4013', async () => {
    const sessionId = cli('session', 'create', '--data-dir', dataDir);
    const token = cli('token', sessionId, '--data-dir', dataDir);
    const server = await serve('--drain', 'node');
    const apiKey = /API key: +(\S+)/.exec(server.out)?.[1];
    const wsUrl = /WebSocket (ws:\/\/\S+)\)/.exec(server.out)?.[1];
    const client = new RawClient(`${wsUrl}?${handshakeQuery({ kind: 'join', apiKey: apiKey!, sessionId, token })}`);
    await client.nextOf('welcome');
    const exited = stop(server.child);
    expect(await client.close()).toEqual({ code: CloseCode.NodeDraining, reason: 'node draining, resume elsewhere' });
    expect(await exited).toBe(0);
    expect(() => execFileSync('node', [CLI, 'serve', '--drain', 'sometimes'], { stdio: 'pipe' })).toThrow(
      /--drain must be service or node/,
    );
  }, 30_000);

  it('a t1 token can be minted too; an unknown session is an error', () => {
    const sessionId = cli('session', 'create', '--relayed', '--data-dir', dataDir);
    expect(cli('token', sessionId, '--format', 't1', '--data-dir', dataDir)).toMatch(/^T1==/);
    expect(() => execFileSync('node', [CLI, 'token', '1_nope', '--data-dir', dataDir], { stdio: 'pipe' })).toThrow(
      /unknown session/,
    );
  });
});
