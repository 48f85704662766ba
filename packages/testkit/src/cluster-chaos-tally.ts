/**
 * What a cluster chaos run (cluster-chaos.ts) shares between its clients and its operator: the
 * counts, the lives and what peers were told, the failures found, the run's phase (stopping,
 * closing) and the waits on any of it (`until`: woken by `changed()`).
 */
import type { FaultKind } from './chaos.js';
import type { ServerFaultKind } from './cluster-chaos-report.js';
import { IncarnationChecker } from './incarnation-checker.js';
import { waitFor } from './wait-for.js';

export class ChaosTally {
  readonly failures: string[] = [];
  readonly faults: Record<FaultKind, number> = {
    cut: 0,
    reset: 0,
    blackhole: 0,
    blackholeToServer: 0,
    blackholeToClient: 0,
  };
  readonly serverFaults: Record<ServerFaultKind, number> = { kill: 0, drain: 0, redis: 0, redisEmpty: 0 };
  resumesSameNode = 0;
  resumesOtherNode = 0;
  explicitFailures = 0;
  readonly explicitFailuresDuring: Record<ServerFaultKind | 'network', number> = {
    kill: 0,
    drain: 0,
    redis: 0,
    redisEmpty: 0,
    network: 0,
  };
  /** The server fault under way (until every client is Connected again), if any. */
  underWay: ServerFaultKind | 'network' = 'network';
  signalsResolved = 0;
  signalsFailedExplicitly = 0;
  completed = 0;
  claimed = 0;
  faultsDone = 0;
  stopping = false;
  timedOut = false;
  /** The run is over: the sessions are being closed by the run itself. */
  closing = false;
  readonly checker = new IncarnationChecker();
  /** Lives whose signals were rejected with 1022: each must turn out to have failed explicitly. */
  readonly rejected = new Set<string>();
  /** connectionId → life, and every connection a peer was told was destroyed. */
  readonly lifeOf = new Map<string, string>();
  readonly destroyed = new Map<string, string>();
  /** The signal() promises not settled yet. */
  readonly pending = new Set<Promise<void>>();
  readonly #changes = new Set<() => void>();

  constructor(readonly log: (line: string) => void) {}

  fail(line: string): void {
    if (this.failures.length < 50) this.failures.push(line);
    this.log(`FAILURE ${line}`);
  }

  /** `stopping` read through a call (it changes in callbacks the compiler does not follow). */
  halted(): boolean {
    return this.stopping;
  }

  /** Something a wait may be waiting for changed: check them all. */
  changed(): void {
    for (const l of [...this.#changes]) l();
  }

  /** Wait until `what` holds (checked now and at every `changed()`), at most `ms`. */
  until(what: () => boolean, ms: number, label: () => string): Promise<void> {
    return waitFor(
      (resolve) => {
        const check = (): void => {
          if (what()) resolve();
        };
        this.#changes.add(check);
        check();
        return () => void this.#changes.delete(check);
      },
      ms,
      label,
    );
  }
}
