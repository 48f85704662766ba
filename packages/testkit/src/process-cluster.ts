/**
 * A cluster of `parley serve --redis` processes over one private redis-server, for the cluster
 * chaos run (cluster-chaos.ts) and whoever needs nodes that can be killed and started again on
 * the same port (so the URLs clients hold stay valid):
 *
 * ```
 *  startProcessCluster({ nodes: 3 }) → redis-server (ephemeral port) + 3 × parley serve --redis
 *  kill(i) → SIGKILL (a crash);  drain(i) → SIGTERM, waits for its exit (it drains: 4016)
 *  restart(i) → parley serve again on node i's port (a new node id: it knows nothing)
 *  redis.restart() / redis.restart({ empty: true }) → Redis back with its data / empty
 * ```
 */
import { startParleyProcess, type ParleyProcess } from './parley-process.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { waitFor } from './wait-for.js';

/** Options of {@link startProcessCluster}. */
export interface ProcessClusterOptions {
  /** Nodes. @default 3 */
  nodes?: number;
  apiKey: string;
  apiSecret: string;
  /** Extra `parley serve` flags for every node (e.g. `--lease-ttl 1500`). */
  flags?: readonly string[];
}

/** A running cluster; every method is safe to call in any state. */
export interface ProcessCluster {
  readonly redis: RedisServer;
  /** Each node's base URL (`http://127.0.0.1:PORT`), the same across restarts. */
  readonly urls: readonly string[];
  readonly ports: readonly number[];
  /** Node i's process, or undefined while it is down. */
  node(i: number): ParleyProcess | undefined;
  /** SIGKILL node i (a crash). */
  kill(i: number): Promise<void>;
  /** SIGTERM node i and wait for it to exit (its clients are drained with 4016). */
  drain(i: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined>;
  /** Start node i again on its port (retrying while the port is still held). */
  restart(i: number): Promise<void>;
  /** Resolves when every running node answers /readyz with 200 (it reaches Redis). */
  ready(ms: number): Promise<void>;
  /** Every node killed, Redis stopped. */
  close(): Promise<void>;
}

/**
 * @example
 * const cluster = await startProcessCluster({ nodes: 3, apiKey, apiSecret, flags: ['--lease-ttl', '1500'] });
 * await cluster.kill(0); await cluster.restart(0);
 * await cluster.close();
 */
export async function startProcessCluster(options: ProcessClusterOptions): Promise<ProcessCluster> {
  const count = options.nodes ?? 3;
  const redis = await startRedisServer();
  const args = [
    '--redis',
    redis.url,
    '--api-key',
    options.apiKey,
    '--api-secret',
    options.apiSecret,
    ...(options.flags ?? []),
  ];
  const procs: (ParleyProcess | undefined)[] = [];
  try {
    // One after another: the first node writes the project into Redis.
    for (let i = 0; i < count; i++) procs.push(await startParleyProcess(args));
  } catch (error) {
    await Promise.all(procs.map((p) => p?.kill('SIGKILL') ?? Promise.resolve()));
    await redis.stop();
    throw error;
  }
  const ports = procs.map((p) => (p as ParleyProcess).port);
  const urls = procs.map((p) => (p as ParleyProcess).url);
  return {
    redis,
    urls,
    ports,
    node: (i) => procs[i],
    async kill(i) {
      const p = procs[i];
      procs[i] = undefined;
      await p?.kill('SIGKILL');
    },
    async drain(i) {
      const p = procs[i];
      procs[i] = undefined;
      return p?.kill('SIGTERM');
    },
    async restart(i) {
      if (procs[i] !== undefined) return;
      for (let attempt = 0; ; attempt++) {
        try {
          procs[i] = await startParleyProcess([...args, '--port', String(ports[i])]);
          return;
        } catch (error) {
          // The port may still be held for a moment by the process that just died.
          if (attempt >= 20 || !/EADDRINUSE|address already in use/i.test(String(error))) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    },
    ready: (ms) =>
      waitFor(
        (resolve) => {
          let stop = false;
          const poll = (): void => {
            const up = procs.filter((p): p is ParleyProcess => p !== undefined);
            void Promise.all(
              up.map((p) =>
                fetch(`${p.url}/readyz`).then(
                  (r) => r.status,
                  () => 0,
                ),
              ),
            ).then((codes) => {
              if (stop) return;
              if (codes.every((code) => code === 200)) resolve();
              else setTimeout(poll, 50);
            });
          };
          poll();
          return () => {
            stop = true;
          };
        },
        ms,
        'every node ready (/readyz 200)',
      ),
    async close() {
      await Promise.all(procs.map((p) => p?.kill('SIGKILL') ?? Promise.resolve()));
      procs.fill(undefined);
      await redis.stop();
    },
  };
}
