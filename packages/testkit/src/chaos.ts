/**
 * The chaos run: several real clients, each behind its own {@link FaultProxy}, signal each other
 * continuously while a seeded random schedule breaks and restores their networks inside the
 * reconnect window; a {@link DeliveryChecker} verifies that every message arrives exactly once and
 * in order at every receiver.
 *
 * ```
 *   client 0 ──▶ proxy 0 ──┐
 *   client 1 ──▶ proxy 1 ──┼──▶ real server (dataDir ':memory:', short timings)
 *   client N ──▶ proxy N ──┘
 *   each client, cycle after cycle:
 *     send a burst ─▶ fault (cut+refuse | reset | blackhole both/up/down) for d ms,
 *     sending more during it ─▶ restore ─▶ wait until Connected again
 * ```
 *
 * The choices (whom, which fault, how long) come from a PRNG seeded with `seed`; the exact
 * interleaving still depends on the scheduler, so two runs with one seed are alike, not identical.
 */
import { Session, SessionConnectionStatus, type ReconnectPolicy } from '@parley/client';
import type { SessionTimings } from '@parley/protocol';
import { generateToken, Parley } from '@parley/server-sdk';
import { DeliveryChecker, type DeliveryCounts } from './delivery-checker.js';
import { FaultProxy } from './fault-proxy.js';
import { startNodes, type BusKind } from './nodes.js';
import { prng, type Prng } from './prng.js';
import { untilComplete, waitFor } from './wait-for.js';

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** Clients in the session, each behind its own proxy. @default 4 */
  clients?: number;
  /** Fault cycles in total (spread over the clients, which run theirs concurrently). @default 100 */
  cycles?: number;
  /** Signals each client sends in each of its cycles, half before the fault and half during it. @default 10 */
  messagesPerCycle?: number;
  /** PRNG seed for the fault schedule. @default 1 */
  seed?: number;
  /** Server timings. @default { heartbeatInterval: 200, heartbeatTimeout: 600, reconnectWindow: 5000 } */
  timings?: Partial<SessionTimings>;
  /** Longest outage (ms); kept well inside the reconnect window. @default min(1500, reconnectWindow / 3) */
  maxOutageMs?: number;
  /** How long to wait at the end for every message and every signal() promise. @default 15000 */
  drainTimeoutMs?: number;
  /** Progress lines. @default nothing */
  log?: (line: string) => void;
  /** `split`: the clients spread over three nodes of the split-process bus. @default 'memory' */
  bus?: BusKind;
}

/** What {@link runChaos} found. */
export interface ChaosResult extends DeliveryCounts {
  /** Fault cycles completed. */
  cycles: number;
  clients: number;
  seed: number;
  /** `sessionReconnected` events over all clients. */
  resumes: number;
  /** Faults applied, by kind. */
  faults: Record<FaultKind, number>;
  /** signal() promises that resolved / that did not (rejected or never settled). */
  signalsResolved: number;
  signalsUnresolved: number;
  /** Everything that went wrong, described (empty on a clean run). */
  failures: string[];
  durationMs: number;
}

/** The faults a cycle may apply. */
export type FaultKind = 'cut' | 'reset' | 'blackhole' | 'blackholeToServer' | 'blackholeToClient';

/** The network faults with their weights (cluster-chaos.ts picks from the same table). */
export const FAULTS: readonly (readonly [FaultKind, number])[] = [
  ['cut', 35], // reset now and refuse new links for the outage: the client retries and is refused
  ['reset', 15], // reset now; the client may resume at once
  ['blackhole', 30], // half-open both ways: only heartbeats can tell
  ['blackholeToServer', 10], // requests and pings vanish
  ['blackholeToClient', 10], // messages and acks vanish: "ack lost after the server processed it"
];

const API_KEY = 'chaos';
const API_SECRET = 'chaos-secret';
const SIGNAL_TYPE = 'chaos';

interface Client {
  readonly name: string;
  readonly session: Session;
  readonly proxy: FaultProxy;
  connectionId: string;
}

/**
 * Run the chaos scenario and count. Never throws for a delivery problem: it reports it in
 * `failures` and the counts; throws only if the setup (server, proxies, first connects) fails.
 * @example
 * const r = await runChaos({ clients: 4, cycles: 30, seed: 7 });
 * if (r.lost + r.duplicated + r.reordered > 0 || r.failures.length > 0) process.exitCode = 1;
 */
export async function runChaos(options: ChaosOptions = {}): Promise<ChaosResult> {
  const started = Date.now();
  const clientCount = options.clients ?? 4;
  const cycles = options.cycles ?? 100;
  const perCycle = options.messagesPerCycle ?? 10;
  const seed = options.seed ?? 1;
  const log = options.log ?? (() => undefined);
  const timings: SessionTimings = {
    heartbeatInterval: options.timings?.heartbeatInterval ?? 200,
    heartbeatTimeout: options.timings?.heartbeatTimeout ?? 600,
    reconnectWindow: options.timings?.reconnectWindow ?? 5000,
  };
  const maxOutage = options.maxOutageMs ?? Math.min(1500, Math.floor(timings.reconnectWindow / 3));
  const drainTimeout = options.drainTimeoutMs ?? 15_000;
  if (!Number.isInteger(clientCount) || clientCount < 1)
    throw new RangeError(`clients must be an integer >= 1, got ${clientCount}`);
  if (!Number.isInteger(cycles) || cycles < 0) throw new RangeError(`cycles must be an integer >= 0, got ${cycles}`);
  if (maxOutage >= timings.reconnectWindow / 2) {
    throw new RangeError(
      `maxOutageMs (${maxOutage}) must stay well inside the reconnect window (${timings.reconnectWindow})`,
    );
  }

  const failures: string[] = [];
  const fail = (line: string): void => {
    if (failures.length < 50) failures.push(line);
    log(`FAILURE ${line}`);
  };
  const faults: Record<FaultKind, number> = {
    cut: 0,
    reset: 0,
    blackhole: 0,
    blackholeToServer: 0,
    blackholeToClient: 0,
  };
  let resumes = 0;
  let completed = 0;
  let claimed = 0;
  let stopping = false;
  let signalsResolved = 0;
  const pending = new Set<Promise<void>>();
  const pendingListeners = new Set<() => void>();

  const nodes = await startNodes(options.bus ?? 'memory', {
    port: 0,
    dataDir: ':memory:',
    projects: [{ apiKey: API_KEY, apiSecret: API_SECRET }],
    timings,
    // The run is about delivery, not about the rate limiter or the signal budgets: keep them out of the way.
    signalRate: { perSecond: 1_000_000, burst: 1_000_000 },
    sessionSignals: { perSecond: 1_000_000, burst: 1_000_000, bytesPerSecond: 1e12, byteBurst: 1e12 },
  });
  const proxies: FaultProxy[] = [];
  const clients: Client[] = [];
  try {
    const { sessionId } = await new Parley(API_KEY, API_SECRET, { apiUrl: nodes.next().url }).createSession();
    const names = Array.from({ length: clientCount }, (_, i) => `c${i}`);
    const checker = new DeliveryChecker(names);
    const byConnection = new Map<string, string>();

    for (const name of names) {
      // Each client's proxy leads to one node (round robin), where it resumes too.
      const server = nodes.next();
      const proxy = await FaultProxy.start({ target: { port: server.port } });
      proxies.push(proxy);
      const session = new Session(API_KEY, sessionId, undefined, {
        url: proxy.url(server.url),
        openTimeout: Math.max(500, timings.heartbeatTimeout),
        reconnectPolicy: fastPolicy(prng(seed ^ (0x9e3779b9 * (clients.length + 1)))),
        onListenerError: (error, event) => {
          fail(`${name}: a "${event}" listener threw: ${String(error)}`);
        },
      });
      const client: Client = { name, session, proxy, connectionId: '' };
      session.on('signal', ({ type, data, from }) => {
        if (type !== SIGNAL_TYPE || data === undefined) return;
        const { sender, n } = JSON.parse(data) as { sender: string; n: number };
        const expectedFrom = clients.find((c) => c.name === sender)?.connectionId;
        if (from?.connectionId !== expectedFrom) {
          fail(
            `${name} got #${n} of ${sender} from connection ${from?.connectionId ?? 'null'}, expected ${expectedFrom ?? '?'}`,
          );
        }
        checker.received(name, sender, n);
      });
      session.on('sessionReconnected', () => {
        resumes++;
        if (session.connection?.connectionId !== client.connectionId) {
          fail(
            `${name} resumed with connection ${session.connection?.connectionId ?? 'null'}, had ${client.connectionId}`,
          );
        }
      });
      session.on('sessionError', ({ error }) => {
        fail(`${name}: sessionError ${error.code} ${error.message}`);
      });
      session.on('sessionDisconnected', ({ reason }) => {
        if (!stopping) fail(`${name}: sessionDisconnected (${reason}) during the run`);
      });
      session.on('connectionDestroyed', ({ connection, reason }) => {
        if (!stopping)
          fail(
            `${name} saw ${byConnection.get(connection.connectionId) ?? connection.connectionId} destroyed (${reason})`,
          );
      });
      clients.push(client);
      await session.connect(generateToken(API_KEY, API_SECRET, sessionId, { data: name }));
      client.connectionId = session.connection?.connectionId ?? '';
      byConnection.set(client.connectionId, name);
    }
    // Everyone sees everyone before the first signal, so no one misses the start of a stream.
    await Promise.all(
      clients.map((c) =>
        waitFor(
          (resolve) => {
            const check = (): void => {
              if (c.session.connections.size === clientCount - 1) resolve();
            };
            check();
            return c.session.on('connectionCreated', check);
          },
          10_000,
          `${c.name} to see the ${clientCount - 1} other client(s)`,
        ),
      ),
    );
    log(
      `chaos: ${clientCount} clients, ${cycles} cycles, ${perCycle} messages per cycle, seed ${seed}, timings ${JSON.stringify(timings)}`,
    );

    const send = (c: Client): void => {
      const n = checker.sent(c.name);
      const p = c.session.signal({ type: SIGNAL_TYPE, data: JSON.stringify({ sender: c.name, n }) });
      pending.add(p);
      p.then(
        () => {
          signalsResolved++;
        },
        (error: unknown) => {
          fail(`${c.name}: signal #${n} rejected: ${error instanceof Error ? error.message : String(error)}`);
        },
      ).finally(() => {
        pending.delete(p);
        for (const l of [...pendingListeners]) l();
      });
    };
    const sendSpread = async (c: Client, count: number, overMs: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        send(c);
        if (i < count - 1 && overMs > 0) await pause(overMs / count);
      }
    };

    const cycle = async (c: Client, r: Prng): Promise<void> => {
      const kind = r.pick(FAULTS);
      const outage = kind === 'reset' ? 0 : r.int(10, maxOutage);
      const half = Math.ceil(perCycle / 2);
      faults[kind]++;
      // Some messages in flight when the fault hits.
      await sendSpread(c, half, r.int(0, 30));
      applyFault(c.proxy, kind);
      await sendSpread(c, perCycle - half, outage);
      if (outage > 0) await pause(outage / Math.max(1, perCycle - half));
      c.proxy.restore();
      await connected(c, timings.reconnectWindow + 5_000);
    };

    const loop = async (c: Client, index: number): Promise<void> => {
      const r = prng((seed * 7919 + index * 104729) >>> 0);
      while (!stopping && claimed < cycles) {
        claimed++;
        await pause(r.int(0, 50));
        await cycle(c, r);
        completed++;
        if (completed % 100 === 0 || completed === cycles) {
          log(
            `cycle ${completed}/${cycles}: sent ${checker.counts().sent}, delivered ${checker.counts().delivered}, resumes ${resumes}`,
          );
        }
        if (failures.length > 0) stopping = true;
      }
    };

    await Promise.all(
      clients.map((c, i) =>
        loop(c, i).catch((error: unknown) => {
          fail(`${c.name}: ${String(error)}`);
        }),
      ),
    );
    stopping = true;
    for (const p of proxies) p.restore();

    // Drain: every client connected, every promise settled, every message everywhere.
    await Promise.all(
      clients.map((c) =>
        connected(c, timings.reconnectWindow + 5_000).catch((e: unknown) => {
          fail(String(e));
        }),
      ),
    );
    await waitFor(
      (resolve) => {
        const check = (): void => {
          if (pending.size === 0) resolve();
        };
        pendingListeners.add(check);
        check();
        return () => void pendingListeners.delete(check);
      },
      drainTimeout,
      () => `every signal() promise to settle (${pending.size} pending)`,
    ).catch((e: unknown) => {
      fail(String(e));
    });
    await untilComplete(checker, drainTimeout, 'every message at every receiver').catch((e: unknown) => {
      fail(String(e));
    });

    const counts = checker.counts();
    for (const a of checker.anomalies) fail(a);
    return {
      ...counts,
      cycles: completed,
      clients: clientCount,
      seed,
      resumes,
      faults,
      signalsResolved,
      signalsUnresolved: counts.sent - signalsResolved,
      failures,
      durationMs: Date.now() - started,
    };
  } finally {
    stopping = true;
    await Promise.all(clients.map((c) => c.session.disconnect().catch(() => undefined)));
    await Promise.all(proxies.map((p) => p.close()));
    await nodes.close();
  }
}

/**
 * The result as an aligned two-column table.
 * @example console.log(formatChaosTable(await runChaos({ cycles: 30 })));
 */
export function formatChaosTable(r: ChaosResult): string {
  const rows: [string, string | number][] = [
    ['seed', r.seed],
    ['clients', r.clients],
    ['cycles', r.cycles],
    [
      'faults',
      Object.entries(r.faults)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['resumes', r.resumes],
    ['messages sent', r.sent],
    ['deliveries expected', r.expected],
    ['delivered', r.delivered],
    ['lost', r.lost],
    ['duplicated', r.duplicated],
    ['reordered', r.reordered],
    ['signal() resolved', r.signalsResolved],
    ['signal() unresolved', r.signalsUnresolved],
    ['failures', r.failures.length],
    ['duration', `${(r.durationMs / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** Resolves once `c` is Connected (at once if it is); rejects if it ends, or after `ms`. */
function connected(c: Client, ms: number): Promise<void> {
  return waitFor(
    (resolve, reject) => {
      const check = (): void => {
        const s = c.session.connectionStatus;
        if (s === SessionConnectionStatus.Connected) resolve();
        else if (s === SessionConnectionStatus.Failed || s === SessionConnectionStatus.NotConnected) {
          reject(new Error(`${c.name} ended (${SessionConnectionStatus[s]}) instead of resuming`));
        }
      };
      check();
      return c.session.on('connectionStatusChanged', check);
    },
    ms,
    () => `${c.name} to be Connected again (is ${SessionConnectionStatus[c.session.connectionStatus]})`,
  );
}

/** Break one proxy's links the way `kind` says (FaultProxy.restore() undoes it). */
export function applyFault(proxy: FaultProxy, kind: FaultKind): void {
  switch (kind) {
    case 'cut':
      proxy.refuse(true);
      proxy.cut();
      break;
    case 'reset':
      proxy.cut();
      break;
    case 'blackhole':
      proxy.blackhole();
      break;
    case 'blackholeToServer':
      proxy.blackhole({ direction: 'toServer' });
      break;
    case 'blackholeToClient':
      proxy.blackhole({ direction: 'toClient' });
      break;
  }
}

/** Resume retries for the chaos run: first at once, then full jitter capped at 250 ms, so a restored link is used soon. */
export function fastPolicy(r: Prng): ReconnectPolicy {
  return {
    nextRetryDelay: ({ attempt }) => (attempt === 0 ? 0 : Math.floor(r.next() * Math.min(250, 25 * 2 ** attempt))),
  };
}

/** The fault schedule's pacing (not synchronisation: nothing waits on it to be "ready"). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
