/**
 * `parley serve --workers N`: N nodes of one cluster on this machine behind one port. The primary
 * process checks the port, forks the workers one after another (the first creates the development
 * project in Redis if there is none; the others find it), prints one banner, and on SIGTERM or
 * SIGINT passes the signal to every worker and exits when they have (each drains like a node:
 * its clients resume on the others, or on other machines' nodes). node:cluster's primary accepts
 * the connections and hands them to the workers in turn (round robin; Node 20 has no
 * SO_REUSEPORT for `net`). A worker that dies is not restarted: its clients resume on the others.
 *
 * ```
 * parley serve --redis URL --workers 2
 *   primary ── fork ──> worker 1 (createServer: Redis store + bus, listen P via the primary)
 *           <── { t: 'parley:listening', banner }
 *           ── fork ──> worker 2 ...                 banner printed once
 *   SIGTERM ──> SIGTERM to each worker ── drain (4016) ── exit ──> primary exits 0
 * ```
 */
import cluster, { type Worker } from 'node:cluster';

/** The most workers `--workers` accepts (a process per core is the useful range). */
export const MAX_WORKERS = 64;

interface ListeningMessage {
  readonly t: 'parley:listening';
  readonly banner: readonly string[];
}

function isListening(m: unknown): m is ListeningMessage {
  return typeof m === 'object' && m !== null && (m as { t?: unknown }).t === 'parley:listening';
}

/** The banner line that says this node is one of a cluster. */
export function clusterLine(redisUrl: string): string {
  const where = new URL(redisUrl);
  return `Cluster mode: sessions, projects and presence in Redis at ${where.host} (docs/CLUSTER.md)`;
}

/** In a worker: hand the banner to the primary, which prints it once. */
export function reportListening(banner: readonly string[]): void {
  const message: ListeningMessage = { t: 'parley:listening', banner };
  process.send?.(message);
}

function forkOne(): Promise<{ worker: Worker; banner: readonly string[] }> {
  const worker = cluster.fork();
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) => {
      reject(new Error(`worker ${worker.id} exited (${signal ?? String(code)}) before it was listening`));
    };
    worker.once('exit', onExit);
    worker.on('message', (m: unknown) => {
      if (!isListening(m)) return;
      worker.off('exit', onExit);
      resolve({ worker, banner: m.banner });
    });
  });
}

/**
 * The primary: fork `n` workers (each re-runs this command), print the first banner with the
 * workers' pids, forward SIGTERM/SIGINT, exit when every worker has.
 */
export async function runPrimary(n: number, host: string): Promise<void> {
  const workers: Worker[] = [];
  let stopping = false;
  const isStopping = (): boolean => stopping;
  const stopAll = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: stopping ${workers.filter((w) => !w.isDead()).length} worker(s)\n`);
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => {
    stopAll('SIGTERM');
  });
  process.on('SIGINT', () => {
    stopAll('SIGINT');
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping)
      process.stderr.write(
        `worker ${String(worker.process.pid)} exited (${(signal as string | null) ?? String(code)}); not restarted: its clients resume on the other workers\n`,
      );
    if (workers.length > 0 && workers.every((w) => w.isDead())) process.exit(stopping ? 0 : 1);
  });

  let banner: readonly string[] = [];
  for (let i = 0; i < n; i++) {
    if (isStopping()) return;
    let started;
    try {
      started = await forkOne();
    } catch (err) {
      stopAll('SIGTERM');
      throw new Error(`${(err as Error).message}; see its error above (listening on ${host})`, { cause: err });
    }
    workers.push(started.worker);
    if (i === 0) banner = started.banner;
  }
  const pids = workers.map((w) => w.process.pid ?? '?').join(', ');
  const [first = '', ...rest] = banner;
  process.stdout.write(
    `${[first, `  ${n} workers behind this port (pids ${pids}); SIGTERM to pid ${process.pid} drains them all`, ...rest].join('\n')}\n`,
  );
}
