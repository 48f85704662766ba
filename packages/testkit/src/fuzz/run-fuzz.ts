/**
 * The live fuzz run: a real server in a child process, hostile inputs from many sockets at once
 * (attacks.ts), and honest clients on the real client SDK exchanging signals the whole time,
 * checked for exactly-once, in-order delivery. It reports inputs tried by kind, server crashes,
 * what the server did that it must not, honest messages lost / duplicated / reordered, and the
 * server's peak memory. docs/RELIABILITY.md §Fuzzing has the figures; `npm run fuzz` runs it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Session } from '@parley/client';
import { generateToken } from '@parley/server-sdk';
import { DeliveryChecker, type DeliveryCounts } from '../delivery-checker.js';
import { prng } from '../prng.js';
import { waitFor } from '../wait-for.js';
import {
  ATTACK_KINDS,
  attackFrames,
  attackHandshake,
  attackRest,
  attackTruncated,
  inputPools,
  type AttackKind,
  type AttackTarget,
  type AttemptResult,
} from './attacks.js';

const API_KEY = '27182818';
const API_SECRET = 'fuzz-secret-0123456789abcdef0123456789ab';
const SIGNAL_TYPE = 'honest';

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  /** How long to attack. @default 10 */
  readonly seconds?: number;
  /** Seed of every random choice. @default 1 */
  readonly seed?: number;
  /** Attackers working at once (each its own socket). @default 16 */
  readonly concurrency?: number;
  /** Honest SDK clients in one session. @default 4 */
  readonly honestClients?: number;
  /** Each honest client sends a signal this often, ms. @default 25 */
  readonly honestEveryMs?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** What a run found. */
export interface FuzzResult {
  readonly seconds: number;
  readonly seed: number;
  readonly concurrency: number;
  /** Inputs tried, by kind (a frame attempt sends 1..20 frames). */
  readonly inputs: Readonly<Record<AttackKind, number>>;
  /** Attempts, by kind. */
  readonly attempts: Readonly<Record<AttackKind, number>>;
  /** Times the server process died (must be 0). */
  readonly crashes: number;
  /** Things the server did that it must not (5xx, undocumented closes, no answer), with the first few described. */
  readonly unexpected: number;
  readonly unexpectedSamples: readonly string[];
  /** Lines the server logged at level error (must be 0), and the first few. */
  readonly serverErrors: number;
  readonly serverErrorSamples: readonly string[];
  /** The honest clients' deliveries. */
  readonly honest: DeliveryCounts;
  /** Honest-side failures: a disconnect, a rejected signal, a listener error. */
  readonly honestFailures: readonly string[];
  /** Peak server memory during the run, bytes (sampled every 50 ms in the server process). */
  readonly peakRss: number;
  readonly peakHeap: number;
}

interface Stats {
  peakRss: number;
  peakHeap: number;
  errors: number;
  firstErrors: string[];
}

type FromChild =
  { t: 'ready'; url: string; wsUrl: string; honestSession: string; fuzzSessions: string[] } | ({ t: 'stats' } & Stats);

/** The child script: beside this file when built; from src (vitest), the built one. */
function childScript(): string {
  const here = fileURLToPath(new URL('./server-child.js', import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL('../../dist/fuzz/server-child.js', import.meta.url));
}

const emptyCounts = (): Record<AttackKind, number> =>
  Object.fromEntries(ATTACK_KINDS.map((k) => [k, 0])) as Record<AttackKind, number>;

/**
 * Run the fuzz scenario. Never throws for a finding (it is counted); throws when the setup fails.
 * @example
 * const r = await runFuzz({ seconds: 5, seed: 1 });
 * if (r.crashes + r.unexpected + r.honest.lost > 0) process.exitCode = 1;
 */
export async function runFuzz(options: FuzzOptions = {}): Promise<FuzzResult> {
  const seconds = options.seconds ?? 10;
  const seed = options.seed ?? 1;
  const concurrency = options.concurrency ?? 16;
  const honestCount = options.honestClients ?? 4;
  const log = options.log ?? (() => undefined);
  const child: ChildProcess = fork(childScript(), [API_KEY, API_SECRET, '4'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let crashes = 0;
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (!stopping) {
        crashes++;
        log(`SERVER CRASHED: exit ${String(code)} ${String(signal)}`);
      }
      resolve();
    });
  });
  const ready = await waitFor<Extract<FromChild, { t: 'ready' }>>(
    (resolve, reject) => {
      child.on('message', (m: FromChild) => {
        if (m.t === 'ready') resolve(m);
      });
      void exited.then(() => {
        reject(new Error('the server process exited before it was ready'));
      });
    },
    20_000,
    'fuzz server ready',
  );
  const target: AttackTarget = {
    url: ready.url,
    wsUrl: ready.wsUrl,
    port: Number(new URL(ready.url).port),
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    sessions: ready.fuzzSessions,
  };

  // Honest clients: the real SDK, one session of their own, paced under the signal rate limit.
  const names = Array.from({ length: honestCount }, (_, i) => `h${i}`);
  const checker = new DeliveryChecker(names);
  const honestFailures: string[] = [];
  const failHonest = (line: string): void => {
    if (honestFailures.length < 20) honestFailures.push(line);
    log(`HONEST FAILURE ${line}`);
  };
  const sessions: Session[] = [];
  for (const name of names) {
    const session = new Session(API_KEY, ready.honestSession, undefined, {
      url: ready.url,
      onListenerError: (error) => {
        failHonest(`${name}: listener threw ${String(error)}`);
      },
    });
    session.on('signal', ({ type, data }) => {
      if (type !== SIGNAL_TYPE || data === undefined) return;
      const { sender, n } = JSON.parse(data) as { sender: string; n: number };
      checker.received(name, sender, n);
    });
    session.on('sessionDisconnected', ({ reason }) => {
      if (!stopping) failHonest(`${name}: disconnected (${reason})`);
    });
    session.on('sessionError', ({ error }) => {
      failHonest(`${name}: sessionError ${error.code} ${error.message}`);
    });
    await session.connect(generateToken(API_KEY, API_SECRET, ready.honestSession, { data: name }));
    sessions.push(session);
  }
  await Promise.all(
    sessions.map((s, i) =>
      waitFor(
        (resolve) => {
          const check = (): void => {
            if (s.connections.size === honestCount - 1) resolve();
          };
          check();
          return s.on('connectionCreated', check);
        },
        10_000,
        `honest client ${i} to see the others`,
      ),
    ),
  );
  const pending = new Set<Promise<void>>();
  const honestTimers = sessions.map((s, i) =>
    setInterval(() => {
      const name = names[i] as string;
      const n = checker.sent(name);
      const p = s
        .signal({ type: SIGNAL_TYPE, data: JSON.stringify({ sender: name, n }) })
        .catch((error: unknown) => {
          failHonest(`${name}: signal #${n} rejected: ${error instanceof Error ? error.message : String(error)}`);
        })
        .finally(() => pending.delete(p));
      pending.add(p);
    }, options.honestEveryMs ?? 25),
  );

  // Attackers.
  const inputs = emptyCounts();
  const attempts = emptyCounts();
  let unexpected = 0;
  const unexpectedSamples: string[] = [];
  const pools = inputPools(seed);
  const deadline = Date.now() + seconds * 1000;
  log(`fuzz: ${seconds} s, seed ${seed}, ${concurrency} attackers, ${honestCount} honest clients, server ${ready.url}`);
  const worker = async (w: number): Promise<void> => {
    const rng = prng((seed * 1_000_003 + w) >>> 0);
    while (Date.now() < deadline && crashes === 0) {
      const kind = rng.pick<AttackKind>([
        ['frame', 40],
        ['handshake', 25],
        ['truncated', 10],
        ['rest', 25],
      ]);
      let result: AttemptResult;
      try {
        if (kind === 'frame') result = await attackFrames(rng, target, pools);
        else if (kind === 'handshake') result = await attackHandshake(rng, target);
        else if (kind === 'truncated') result = await attackTruncated(rng, target);
        else result = await attackRest(rng, target, pools);
      } catch (error) {
        result = { inputs: 0, unexpected: `attacker threw: ${error instanceof Error ? error.message : String(error)}` };
      }
      attempts[kind]++;
      inputs[kind] += result.inputs;
      if (result.unexpected !== undefined) {
        unexpected++;
        if (unexpectedSamples.length < 10) unexpectedSamples.push(`${kind}: ${result.unexpected}`);
      }
    }
  };
  const progress = setInterval(() => {
    log(`fuzz: ${JSON.stringify(inputs)} unexpected ${unexpected} honest ${JSON.stringify(checker.counts())}`);
  }, 10_000);
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  clearInterval(progress);

  // Stop the honest senders, let every sent signal arrive, then count.
  for (const t of honestTimers) clearInterval(t);
  await Promise.all([...pending]);
  if (crashes === 0) {
    await waitFor(
      (resolve) => {
        const check = (): void => {
          const c = checker.counts();
          if (c.delivered + c.duplicated >= c.expected) resolve();
        };
        check();
        return checker.onReceive(check);
      },
      15_000,
      'the honest signals to arrive',
    ).catch(() => undefined); // what is missing is counted as lost
  }
  const stats =
    crashes === 0
      ? await waitFor<Stats>(
          (resolve) => {
            child.on('message', (m: FromChild) => {
              if (m.t === 'stats') resolve(m);
            });
            child.send('stats');
          },
          10_000,
          'server stats',
        )
      : { peakRss: 0, peakHeap: 0, errors: 0, firstErrors: [] };
  stopping = true;
  await Promise.all(sessions.map((s) => s.disconnect().catch(() => undefined)));
  if (crashes === 0) child.send('stop');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  if (child.exitCode === null) child.kill('SIGKILL');

  return {
    seconds,
    seed,
    concurrency,
    inputs,
    attempts,
    crashes,
    unexpected,
    unexpectedSamples,
    serverErrors: stats.errors,
    serverErrorSamples: stats.firstErrors,
    honest: checker.counts(),
    honestFailures,
    peakRss: stats.peakRss,
    peakHeap: stats.peakHeap,
  };
}

const MiB = 1024 * 1024;

/** The report as a table. */
export function formatFuzzTable(r: FuzzResult): string {
  const total = Object.values(r.inputs).reduce((a, b) => a + b, 0);
  const rows: [string, string][] = [
    ['duration / seed / attackers', `${r.seconds} s / ${r.seed} / ${r.concurrency}`],
    ...ATTACK_KINDS.map((k): [string, string] => [`inputs: ${k}`, `${r.inputs[k]} (${r.attempts[k]} attempts)`]),
    ['inputs: total', String(total)],
    ['server crashes', String(r.crashes)],
    ['unexpected answers', String(r.unexpected)],
    ['server error log lines', String(r.serverErrors)],
    ['honest signals sent / deliveries expected', `${r.honest.sent} / ${r.honest.expected}`],
    ['honest lost / duplicated / reordered', `${r.honest.lost} / ${r.honest.duplicated} / ${r.honest.reordered}`],
    ['honest failures', String(r.honestFailures.length)],
    ['server peak RSS / heap', `${(r.peakRss / MiB).toFixed(1)} MiB / ${(r.peakHeap / MiB).toFixed(1)} MiB`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
