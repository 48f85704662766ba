/**
 * A private `redis-server` for one test file: Debian's binary on an ephemeral 127.0.0.1 port, its
 * own directory in a tmpdir, no persistence of its own (`--save '' --appendonly no`). Never the
 * system Redis on 6379. It can be made to misbehave the ways a cluster must survive: stopped and
 * started again (same port, same data), restarted empty, frozen (SIGSTOP), killed (SIGKILL).
 *
 * ```
 *  startRedisServer() → spawn redis-server --port P --bind 127.0.0.1 --dir <mkdtemp> ...
 *     └─ stdout "Ready to accept connections", then PING answered → { url: redis://127.0.0.1:P }
 *  shutdown()/kill() → down;  start() → up again on P;  restart({ empty }) → both
 *  stop() → down for good, the directory removed
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createTcpServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor, withDeadline } from './wait-for.js';

/** Where Debian's `redis-server` package installs the server. */
export const REDIS_SERVER_PATH = '/usr/bin/redis-server';

/** util-linux's setpriv (Debian's base system), to tie the server's life to this process. */
const SETPRIV = '/usr/bin/setpriv';

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** The binary. @default `REDIS_SERVER` from the environment, else {@link REDIS_SERVER_PATH} */
  binary?: string;
  /** How long a start may take (ms). @default 10000 */
  timeoutMs?: number;
}

/** A running private Redis. Every method is safe to call in any state. */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT` (stays the same across restarts). */
  readonly url: string;
  readonly port: number;
  /** Its working directory (where a `save()` puts dump.rdb). */
  readonly dir: string;
  /** True while the process is up (and not stopped for good). */
  readonly running: boolean;
  /** Start it again on the same port, loading what the last `save()` wrote (if anything). */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM); `start()` brings it back. Nothing is saved unless `save()` was called. */
  shutdown(): Promise<void>;
  /** SIGKILL, as a crash; `start()` brings it back. */
  kill(): Promise<void>;
  /** Freeze the process (SIGSTOP): connections stay open and nothing answers. */
  pause(): void;
  /** Thaw a paused process (SIGCONT). */
  resume(): void;
  /** Write its data to disk now (SAVE), so the next start loads it. */
  save(): Promise<void>;
  /**
   * Down and up again on the same port: with all its data (saved by the shutdown), or `empty: true` (a Redis
   * that lost everything, e.g. restarted without persistence).
   */
  restart(options?: { empty?: boolean }): Promise<void>;
  /** One command over a plain socket; resolves with the first line of the reply (e.g. `+PONG`). */
  command(...args: string[]): Promise<string>;
  /** Stop for good and remove the directory. */
  stop(): Promise<void>;
  /** SIGKILL now and remove the directory, synchronously (for a process 'exit' handler). */
  killNow(): void;
}

/** A free ephemeral port on 127.0.0.1 (bound then released; a collision makes the start retry). */
async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no ephemeral port');
  return address.port;
}

/** Send one RESP command to 127.0.0.1:port; the first line of the reply. */
export function redisCommand(port: number, args: readonly string[], timeoutMs = 5_000): Promise<string> {
  const body = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return withDeadline(
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let reply = '';
      socket.setEncoding('utf8');
      socket.once('error', reject);
      socket.on('data', (chunk: string) => {
        reply += chunk;
        const end = reply.indexOf('\r\n');
        if (end < 0) return;
        socket.destroy();
        resolve(reply.slice(0, end));
      });
      socket.write(body);
    }),
    timeoutMs,
    `redis ${args[0] ?? ''} on port ${port}`,
  );
}

/** Why a start failed, from the server's own output. */
function exitMessage(output: string, code: number | null): string {
  const lines = output.trim().split('\n').slice(-3).join(' | ');
  return `redis-server exited (${code ?? 'signal'}) before it was ready: ${lines}`;
}

/**
 * Start a private redis-server. The caller stops it (`stop()` in afterAll).
 * @example
 * const redis = await startRedisServer();
 * const bus = new RedisBus({ url: redis.url });
 * await redis.restart({ empty: true });
 * await redis.stop();
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? process.env.REDIS_SERVER ?? REDIS_SERVER_PATH;
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!existsSync(binary)) throw new Error(`redis-server not found at ${binary}: apt-get install -y redis-server`);
  const dir = await mkdtemp(join(tmpdir(), 'parley-redis-'));
  let child: ChildProcess | undefined;
  let stopped = false;
  let port = 0;

  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
    const full = [...args, '--protected-mode', 'yes', '--loglevel', 'notice'];
    // Through setpriv --pdeathsig when there is one: the server dies with this process even when
    // it is killed (a test runner ending its workers runs no 'exit' handler).
    const proc = existsSync(SETPRIV)
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', binary, ...full], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(binary, full, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    await waitFor(
      (resolve, reject) => {
        const onData = (chunk: Buffer): void => {
          output += chunk.toString();
          if (output.includes('Ready to accept connections')) resolve();
        };
        const onExit = (code: number | null): void => {
          reject(new Error(exitMessage(output, code)));
        };
        proc.stdout.on('data', onData);
        proc.stderr.on('data', onData);
        proc.once('exit', onExit);
        return () => {
          proc.stdout.off('data', onData);
          proc.stderr.off('data', onData);
          proc.off('exit', onExit);
          // Keep draining the pipes so the server never blocks on a full one.
          proc.stdout.resume();
          proc.stderr.resume();
        };
      },
      timeoutMs,
      `redis-server on port ${port} to be ready`,
    );
    const pong = await redisCommand(port, ['PING']);
    if (pong !== '+PONG') throw new Error(`redis-server on port ${port} answered PING with ${pong}`);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        resolve();
      });
    });
    proc.kill('SIGCONT'); // a paused server cannot act on SIGTERM
    proc.kill(signal);
    const force = setTimeout(() => {
      proc.kill('SIGKILL');
    }, 5_000);
    await exited;
    clearTimeout(force);
  };

  // A port taken between freePort() and the bind: try another.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      await terminate('SIGKILL');
      if (attempt >= 3 || !String(error).includes('Address already in use')) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      return child !== undefined && !stopped;
    },
    async start() {
      if (stopped) throw new Error('this redis-server was stopped for good');
      if (child === undefined) await launch();
    },
    shutdown: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async save() {
      const reply = await redisCommand(port, ['SAVE']);
      if (reply !== '+OK') throw new Error(`redis SAVE answered ${reply}`);
    },
    async restart({ empty = false } = {}) {
      if (empty) {
        await terminate('SIGKILL');
        await rm(join(dir, 'dump.rdb'), { force: true });
      } else if (child !== undefined) {
        // Saved by the shutdown itself (a save point makes SIGTERM save last), so no write made
        // between a SAVE and the stop is lost: Redis comes back with all of its data.
        await redisCommand(port, ['CONFIG', 'SET', 'save', '3600 1']);
        await terminate('SIGTERM');
      }
      await server.start();
    },
    command: (...args) => redisCommand(port, args),
    killNow() {
      stopped = true;
      child?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    async stop() {
      stopped = true;
      await terminate('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}
