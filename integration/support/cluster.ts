/**
 * The cluster tests' fixture: a private redis-server, Parley nodes as separate `parley serve
 * --redis` processes (short leases and a short reconnection window, so a dead node's clients are
 * declared gone in seconds), client sessions given the list of node URLs (their own node first),
 * and a delivery checker over the signals they exchange.
 */
import { Session } from '@parley/client';
import { generateToken } from '@parley/server-sdk';
import { DeliveryChecker, startParleyProcess, type ParleyProcess, type RedisServer } from '@parley/testkit';
import { API_KEY, API_SECRET } from '../harness.js';

/** Short cluster timings: lease 1.5 s renewed every 0.3 s; 4 s to resume. */
export const CLUSTER_FLAGS = ['--lease-ttl', '1500', '--lease-renew', '300', '--reconnect-window', '4000'] as const;
/**
 * For a test where no node dies: the default lease (10 s), so a busy machine that stalls a node
 * for over a second (a 1.5 s lease) never makes a live node look dead; 4 s to resume.
 */
export const STEADY_CLUSTER_FLAGS = ['--reconnect-window', '4000'] as const;
/** The longest a dead node's client may take to be declared gone: lease + renewal + window, with room for a busy machine. */
export const DEAD_NODE_BOUND_MS = 20_000;

/** Start `n` nodes on one Redis (in parallel), with the fixed project. */
export function startCluster(
  redis: RedisServer,
  n: number,
  extra: readonly string[] = [],
  flags: readonly string[] = CLUSTER_FLAGS,
): Promise<ParleyProcess[]> {
  const args = ['--redis', redis.url, '--api-key', API_KEY, '--api-secret', API_SECRET, ...flags, ...extra];
  return Promise.all(Array.from({ length: n }, () => startParleyProcess(args)));
}

/** Stop every node still running (SIGKILL: the test is over). */
export async function killAll(nodes: readonly ParleyProcess[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
}

/** Every node's URL, `first` first: the client joins there and resumes anywhere. */
export function urlsFrom(nodes: readonly ParleyProcess[], first: ParleyProcess): string[] {
  return [first.url, ...nodes.filter((n) => n !== first).map((n) => n.url)];
}

/** A client of `sessionId` connected through `urls[0]`. */
export async function joinCluster(sessionId: string, urls: string[] | string, data: string): Promise<Session> {
  const session = new Session(API_KEY, sessionId, undefined, { url: urls, pageLifecycle: false });
  await session.connect(generateToken(API_KEY, API_SECRET, sessionId, { data }));
  return session;
}

/**
 * Numbered signals (type `n`, data `name:k`) between named sessions, checked by a
 * {@link DeliveryChecker}: every receiver must get each sender's numbers once and in order.
 */
export class SignalFlow {
  readonly checker: DeliveryChecker;
  /** Per receiver, every numbered signal in the order it arrived ("sender:k"). */
  readonly arrivals = new Map<string, string[]>();

  constructor(readonly sessions: ReadonlyMap<string, Session>) {
    this.checker = new DeliveryChecker([...sessions.keys()]);
    for (const [name, s] of sessions) {
      this.arrivals.set(name, []);
      s.on('signal', ({ type, data }) => {
        if (type !== 'n' || data === undefined) return;
        const [sender, k] = data.split(':');
        this.arrivals.get(name)?.push(data);
        this.checker.received(name, sender as string, Number(k));
      });
    }
  }

  /** `name` sends its next numbered signal to everyone (resolves when the server acknowledged it). */
  send(name: string): Promise<void> {
    const k = this.checker.sent(name);
    return (this.sessions.get(name) as Session).signal({ type: 'n', data: `${name}:${k}` });
  }

  /** Resolves when every receiver has everything sent so far. */
  complete(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.checker.complete()) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        off();
        reject(new Error(`signals still missing after ${ms} ms: ${this.checker.missing().join('; ')}`));
      }, ms);
      const off = this.checker.onReceive(() => {
        if (!this.checker.complete()) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }
}
