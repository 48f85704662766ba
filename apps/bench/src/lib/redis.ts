/**
 * A private redis-server for the cluster scenario: Debian's binary on an ephemeral loopback port,
 * nothing written to disk. Missing binary: an error that says what to install (the scenario then
 * fails loudly; `--only` leaves it out on purpose).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface BenchRedis {
  url: string;
  /** CPU the redis-server process has used so far (ms, user + system), from /proc. */
  cpuMs(): number;
  stop(): void;
}

export async function startRedis(): Promise<BenchRedis> {
  const binary = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
  if (!existsSync(binary)) throw new Error(`redis-server not found at ${binary}: apt-get install -y redis-server`);
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) =>
    probe.close(() => {
      r();
    }),
  );
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      reject(new Error(`redis-server did not start: ${out}`));
    }, 10_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout.resume();
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${String(code)}): ${out}`));
    });
  });
  child.stderr.resume();
  const stat = `/proc/${String(child.pid)}/stat`;
  return {
    url: `redis://127.0.0.1:${port}`,
    cpuMs: () => {
      // Fields 14 and 15 (utime, stime) in clock ticks of 10 ms; the name (field 2) may hold spaces.
      const fields = readFileSync(stat, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    stop: () => child.kill('SIGKILL'),
  };
}
