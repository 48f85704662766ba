/**
 * The cluster chaos run's options, result and table (the run itself: cluster-chaos.ts).
 */
import type { FaultKind } from './chaos.js';
import type { IncarnationCounts } from './incarnation-checker.js';

/** The server-side faults: a node killed, a node drained, Redis restarted with its data, or empty. */
export type ServerFaultKind = 'kill' | 'drain' | 'redis' | 'redisEmpty';

/** The server faults with their weights. */
export const SERVER_FAULTS: readonly (readonly [ServerFaultKind, number])[] = [
  ['kill', 35],
  ['drain', 35],
  ['redis', 20],
  ['redisEmpty', 10],
];

/** Options of {@link runClusterChaos}. */
export interface ClusterChaosOptions {
  /** `parley serve` processes. @default 3 */
  nodes?: number;
  /** Clients in the session. @default 4 */
  clients?: number;
  /** Network fault cycles in total. @default 100 */
  cycles?: number;
  /** Signals per client per cycle. @default 10 */
  messagesPerCycle?: number;
  seed?: number;
  /** One server fault after every N network cycles (so cycles / N of them). @default 5 */
  serverFaultEvery?: number;
  /** A fixed sequence of server faults instead of the seeded choice (the test runs each kind once). */
  serverFaults?: readonly ServerFaultKind[];
  /** The nodes' reconnect window (ms). @default 5000 */
  reconnectWindowMs?: number;
  /** The run stops by itself after this long, whatever is left (then drains). @default 900 */
  maxSeconds?: number;
  /** How long to wait at the end for every client, promise and delivery. @default 30000 */
  drainTimeoutMs?: number;
  log?: (line: string) => void;
}

/** What {@link runClusterChaos} found. */
export interface ClusterChaosResult extends IncarnationCounts {
  nodes: number;
  clients: number;
  seed: number;
  cycles: number;
  faults: Record<FaultKind, number>;
  serverFaults: Record<ServerFaultKind, number>;
  resumesSameNode: number;
  resumesOtherNode: number;
  /** Client lives that ended with 1022 then sessionDisconnected (each joined again). */
  explicitFailures: number;
  /**
   * The same, by what was going on: a server fault (from its start until every client was
   * Connected again), or `network` (no server fault under way: a network fault alone).
   */
  explicitFailuresDuring: Record<ServerFaultKind | 'network', number>;
  signalsResolved: number;
  /** signal() promises rejected with 1022 by a life that failed explicitly. */
  signalsFailedExplicitly: number;
  /** signal() promises neither resolved nor failed explicitly. */
  signalsUnresolved: number;
  /** True when `maxSeconds` ended the run before its cycles. */
  timedOut: boolean;
  failures: string[];
  durationMs: number;
}

/**
 * The result as an aligned two-column table.
 * @example console.log(formatClusterChaosTable(await runClusterChaos({ cycles: 12 })));
 */
export function formatClusterChaosTable(r: ClusterChaosResult): string {
  const kinds = (o: Record<string, number>): string =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const rows: [string, string | number][] = [
    ['seed', r.seed],
    ['nodes / clients', `${r.nodes} / ${r.clients}`],
    ['cycles', `${r.cycles}${r.timedOut ? ' (time bound reached)' : ''}`],
    ['network faults', kinds(r.faults)],
    ['server faults', kinds(r.serverFaults)],
    ['resumes (same node / other node)', `${r.resumesSameNode} / ${r.resumesOtherNode}`],
    ['explicit failures (1022)', `${r.explicitFailures} (during: ${kinds(r.explicitFailuresDuring)})`],
    ['messages sent', r.sent],
    ['deliveries required', r.expected],
    ['delivered', r.delivered],
    ['lost', r.lost],
    ['duplicated', r.duplicated],
    ['reordered', r.reordered],
    [
      'signal() resolved / 1022 / unresolved',
      `${r.signalsResolved} / ${r.signalsFailedExplicitly} / ${r.signalsUnresolved}`,
    ],
    ['failures', r.failures.length],
    ['duration', `${(r.durationMs / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
