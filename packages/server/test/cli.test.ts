/**
 * The `parley` CLI through its committed bin, as a user runs it: the server and the commands
 * that talk to it (one project, sessions created through the running server), help and version,
 * and one clear line for each common mistake. Mistakes in the serve flags are in
 * cli-errors.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode, handshakeQuery } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, cli, ROOT, serve, stop } from './support/cli-run.js';
import { RawClient } from './support/raw-client.js';

let tmp: string;
beforeAll(() => {
  buildServer();
  tmp = mkdtempSync(join(tmpdir(), 'parley-cli-'));
}, 120_000);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

describe('parley CLI: help and version', () => {
  it('--help, COMMAND --help and help COMMAND print usage; --version the package version', () => {
    expect(cli(['--help']).stdout).toMatch(/parley serve \[options\]/);
    for (const [args, usage] of [
      [['serve', '--help'], 'Usage: parley serve'],
      [['serve', '-h'], 'Usage: parley serve'],
      [['session', 'create', '--help'], 'Usage: parley session create'],
      [['session', '--help'], 'Usage: parley session create'],
      [['token', '--help'], 'Usage: parley token SESSION_ID'],
      [['help', 'token'], 'Usage: parley token SESSION_ID'],
    ] as const) {
      const r = cli([...args]);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toContain(usage);
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages/server/package.json'), 'utf8')) as { version: string };
    expect(cli(['--version']).stdout).toBe(`${pkg.version}\n`);
  });

  it('an unknown command or option is one line pointing at --help, exit 2', () => {
    const r = cli(['serve', '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("parley: Unknown option '--bogus' (parley serve --help)\n");
    expect(cli(['session', 'list']).stderr).toMatch(/^parley: unknown command: parley session list .*\n$/);
  });
});

describe('parley CLI against the running server', () => {
  it('serve makes a private data dir; session create goes through the server; token signs for it; a restart keeps all', async () => {
    const dataDir = join(tmp, 'main');
    // A permissive umask must not make the secret readable (issue 8 #7).
    const first = await serve(['--port', '0', '--data-dir', dataDir], { umask: '000' });
    expect(first.out).toMatch(/Parley listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(first.out).toMatch(/Created a development project/);
    const apiKey = /API key: +(\d{8})/.exec(first.out)?.[1];
    const apiSecret = /API secret: +([0-9a-f]{40})/.exec(first.out)?.[1];
    expect(apiKey).toBeDefined();
    expect(apiSecret).toBeDefined();
    // Inside the repository the workspace's own bin answers `npx parley`.
    expect(first.out).toContain(`  npx parley session create --data-dir ${dataDir}\n`);
    expect(mode(dataDir)).toBe(0o700);
    for (const f of ['parley.db', 'parley.db-wal', 'parley.db-shm', 'server.json']) {
      expect(mode(join(dataDir, f)), f).toBe(0o600);
    }
    const server = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as { url: string; apiKey: string };
    expect(server).toMatchObject({ url: /http:\/\/127\.0\.0\.1:\d+/.exec(first.out)?.[0], apiKey });

    const created = cli(['session', 'create', '--data-dir', dataDir]);
    expect(created.stderr).toBe('');
    const sessionId = created.stdout.trim();
    expect(sessionId).toMatch(/^[12]_[A-Za-z0-9_-]+$/);
    // The server saw it: its REST API knows the session (created through it, in its project).
    const token = cli(['token', sessionId, '--role', 'moderator', '--data', 'name=cli', '--data-dir', dataDir]);
    expect(token.status).toBe(0);
    expect(await stop(first.child)).toBe(0);
    expect(existsSync(join(dataDir, 'server.json'))).toBe(false);

    const second = await serve(['--port', '0', '--data-dir', dataDir]);
    expect(second.out).not.toMatch(/Created a development project/);
    expect(second.out).toContain(`API key:    ${apiKey}`);
    // A secret is printed on the start that made it, never again (issue 12).
    expect(second.out).not.toContain(apiSecret);
    expect(second.out).toContain('API secret: (printed on its first start only; kept in the data dir)');
    expect(second.stderr()).not.toContain(apiSecret);
    const wsUrl = /WebSocket (ws:\/\/\S+)\)/.exec(second.out)?.[1];
    const client = new RawClient(
      `${wsUrl}?${handshakeQuery({ kind: 'join', apiKey: apiKey!, sessionId, token: token.stdout.trim() })}`,
    );
    expect(await client.nextOf('welcome')).toMatchObject({ role: 'moderator', connection: { data: 'name=cli' } });
    // A relayed session and a t1 token, while this server runs.
    const relayed = cli(['session', 'create', '--relayed', '--data-dir', dataDir]).stdout.trim();
    expect(cli(['token', relayed, '--format', 't1', '--data-dir', dataDir]).stdout).toMatch(/^T1==/);
    const exited = stop(second.child);
    expect((await client.close()).code).toBe(CloseCode.ServerShutdown);
    expect(await exited).toBe(0);
  }, 60_000);

  it('serve --drain node: SIGTERM closes clients with 4016 NodeDraining (resume elsewhere), not 4013', async () => {
    const dataDir = join(tmp, 'drain');
    const s = await serve(['--port', '0', '--data-dir', dataDir, '--drain', 'node']);
    const apiKey = /API key: +(\d{8})/.exec(s.out)?.[1];
    const wsUrl = /WebSocket (ws:\/\/\S+)\)/.exec(s.out)?.[1];
    const sessionId = cli(['session', 'create', '--data-dir', dataDir]).stdout.trim();
    const token = cli(['token', sessionId, '--data-dir', dataDir]).stdout.trim();
    const client = new RawClient(`${wsUrl}?${handshakeQuery({ kind: 'join', apiKey: apiKey!, sessionId, token })}`);
    await client.nextOf('welcome');
    const exited = stop(s.child);
    expect(await client.close()).toEqual({ code: CloseCode.NodeDraining, reason: 'node draining, resume elsewhere' });
    expect(await exited).toBe(0);
    const bad = cli(['serve', '--drain', 'sometimes']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--drain must be service or node/);
  }, 60_000);

  it('without a data dir, session create and token say where they looked and create nothing', () => {
    const cwd = mkdtempSync(join(tmp, 'empty-'));
    for (const args of [
      ['session', 'create'],
      ['token', '1_x'],
    ]) {
      const r = cli(args, { cwd });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(
        `parley: no Parley data dir at ${join(cwd, '.parley')}: start the server first (npm start) or pass --data-dir (parley ${args[0]} --help)\n`,
      );
    }
    expect(existsSync(join(cwd, '.parley'))).toBe(false);
  });

  it('with the server stopped, or killed, session create says so and writes nothing', async () => {
    const dataDir = join(tmp, 'stopped');
    const s = await serve(['--port', '0', '--data-dir', dataDir]);
    expect(await stop(s.child), s.stderr()).toBe(0);
    expect(existsSync(join(dataDir, 'server.json')), s.stderr()).toBe(false);
    const stopped = cli(['session', 'create', '--data-dir', dataDir]);
    expect(stopped.status).toBe(2);
    expect(stopped.stderr).toMatch(
      new RegExp(
        `^parley: no running server uses ${dataDir} \\(no server.json there\\): start it first \\(npm start\\)`,
      ),
    );
    // Killed: server.json stays behind, and nobody answers at its URL.
    const k = await serve(['--port', '0', '--data-dir', dataDir]);
    await stop(k.child, 'SIGKILL');
    const killed = cli(['session', 'create', '--data-dir', dataDir]);
    expect(killed.status).toBe(2);
    expect(killed.stderr).toMatch(
      /^parley: the server at http:\/\/127\.0\.0\.1:\d+ \(from .*server\.json\) does not answer/,
    );
  }, 60_000);

  it('token: an invalid role lists the valid ones; an unknown session names the database', async () => {
    const dataDir = join(tmp, 'token');
    const s = await serve(['--port', '0', '--data-dir', dataDir]);
    await stop(s.child);
    const role = cli(['token', '1_x', '--role', 'admin', '--data-dir', dataDir]);
    expect(role.status).toBe(2);
    expect(role.stderr).toBe(
      'parley: --role must be one of subscriber, publisher, publisheronly, moderator; got admin (parley token --help)\n',
    );
    const unknown = cli(['token', '1_nope', '--data-dir', dataDir]);
    expect(unknown.stderr).toContain(`unknown session 1_nope: not in ${join(dataDir, 'parley.db')}`);
  }, 30_000);

  it('an existing data dir readable by others is made private, and the log says so', async () => {
    const dataDir = mkdtempSync(join(tmp, 'loose-'));
    const { chmodSync } = await import('node:fs');
    chmodSync(dataDir, 0o755);
    const s = await serve(['--port', '0', '--data-dir', dataDir]);
    expect(mode(dataDir)).toBe(0o700);
    expect(s.stderr()).toContain(`data dir ${dataDir} was readable by others (mode 755); made it 700`);
    expect(await stop(s.child)).toBe(0);
  }, 30_000);
});
