/**
 * Deadline-bound waits. Tests wait for the event they mean, never for a fixed time: every wait here
 * has a deadline and, when it passes, rejects with a message that names what it was waiting for.
 * Nothing polls.
 */
import type { SessionEventMap } from '@parley/client';

/** A wait ran past its deadline. `label` is what it waited for. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(
    readonly label: string,
    readonly ms: number,
  ) {
    super(`timed out after ${ms} ms waiting for ${label}`);
  }
}

/** How a subscription reports its value; takes no argument when the value is `undefined`. */
export type Resolve<T> = (...args: undefined extends T ? [value?: T] : [value: T]) => void;

/**
 * Called by `waitFor` to start listening. If it returns a function, that function stops listening
 * (anything else is ignored, so a subscription with nothing to undo may return nothing).
 */
export type Subscribe<T> = (resolve: Resolve<T>, reject: (error: unknown) => void) => unknown;

/**
 * Subscribe, and settle with the first value (or error) the subscription reports, or reject with a
 * {@link WaitTimeoutError} after `ms`. The subscription is always removed, also when `subscribe`
 * resolves synchronously.
 *
 * @example
 * const open = await waitFor<number>((resolve) => proxy.onLink(() => resolve(proxy.links)), 2_000, 'a proxy link');
 * await waitFor((resolve) => session.on('sessionReconnected', () => resolve()), 5_000, 'the resume');
 */
export function waitFor<T = undefined>(
  subscribe: Subscribe<T>,
  ms: number,
  label: string | (() => string),
): Promise<T> {
  // Captured here so the stack trace points at the test line that waited, not at a timer callback.
  const trace = new Error('');
  const labelText = (): string => (typeof label === 'string' ? label : label());
  return new Promise<T>((resolve, reject) => {
    // An object, not a `let`: it is set inside callbacks that may run before `subscribe` returns.
    const state = { settled: false };
    let unsubscribe: (() => void) | undefined;
    const finish = (): void => {
      state.settled = true;
      clearTimeout(timer);
      unsubscribe?.();
    };
    const timer = setTimeout(() => {
      if (state.settled) return;
      finish();
      const error = new WaitTimeoutError(labelText(), ms);
      error.stack = `${error.name}: ${error.message}\n${(trace.stack ?? '').split('\n').slice(1).join('\n')}`;
      reject(error);
    }, ms);
    const onValue = (...args: [value?: T]): void => {
      if (state.settled) return;
      finish();
      resolve(args[0] as T);
    };
    const result = subscribe(onValue, (error) => {
      if (state.settled) return;
      finish();
      reject(error instanceof Error ? error : new Error(`${labelText()}: ${String(error)}`));
    });
    if (typeof result === 'function') {
      const stop = result as () => void;
      if (state.settled) stop();
      else unsubscribe = stop;
    }
  });
}

/**
 * `promise`, or a {@link WaitTimeoutError} naming `label` if it has not settled after `ms`.
 * @example await withDeadline(session.signal({ data: 'x' }), 2_000, 'the signal to be acknowledged');
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  return waitFor<T>(
    (resolve, reject) => {
      promise.then(resolve, reject);
      return undefined;
    },
    ms,
    label,
  );
}

/**
 * Anything with `on(name, fn)` and `off(name, fn)` whose listeners take one event object: a client
 * `Session`, or a Node `EventEmitter`.
 */
export interface EventSource {
  on(name: string, listener: (event: never) => void): unknown;
  off(name: string, listener: (event: never) => void): unknown;
}

/** The part of a client `Session` that {@link nextEvent} needs. */
export interface SessionEvents {
  on<K extends keyof SessionEventMap>(name: K, listener: (event: SessionEventMap[K]) => void): unknown;
  off<K extends keyof SessionEventMap>(name: K, listener: (event: SessionEventMap[K]) => void): unknown;
}

/**
 * The next `name` event from `source` that satisfies `predicate` (if given), or a
 * {@link WaitTimeoutError} after `ms`. Works with any {@link EventSource}; {@link nextEvent} is the
 * typed version for sessions.
 */
export function nextEmitted<E = unknown>(
  source: EventSource,
  name: string,
  ms: number,
  predicate?: (event: E) => boolean,
): Promise<E> {
  const label =
    predicate === undefined ? `event "${name}"` : `event "${name}" matching ${predicate.toString().slice(0, 160)}`;
  return waitFor<E>(
    (resolve) => {
      const listener = ((event: E): void => {
        if (predicate === undefined || predicate(event)) resolve(event);
      }) as (event: never) => void;
      source.on(name, listener);
      return () => void source.off(name, listener);
    },
    ms,
    label,
  );
}

/**
 * The next `name` event of a client session (that satisfies `predicate`, if given), or a
 * {@link WaitTimeoutError} after `ms` naming the event. Start waiting BEFORE doing what causes it:
 *
 * @example
 * const reconnected = nextEvent(bob, 'connectionReconnected', 5_000, (e) => e.connection.connectionId === aliceId);
 * proxy.cut();
 * const { connection } = await reconnected;
 */
export function nextEvent<K extends keyof SessionEventMap>(
  session: SessionEvents,
  name: K,
  ms: number,
  predicate?: (event: SessionEventMap[K]) => boolean,
): Promise<SessionEventMap[K]> {
  return nextEmitted<SessionEventMap[K]>(session as unknown as EventSource, name, ms, predicate);
}

/** One recorded event: its name and the object it carried. */
export interface RecordedEvent {
  readonly name: string;
  readonly event: unknown;
}

/** What {@link recordEvents} returns: the events so far, in order, and a way to stop recording. */
export interface EventRecording {
  readonly events: readonly RecordedEvent[];
  /** The names of the events so far, in order. */
  names(): string[];
  /** Resolves when an event named `name` has been recorded (at once if it already was). */
  waitFor(name: string, ms: number, predicate?: (event: unknown) => boolean): Promise<unknown>;
  stop(): void;
}

/**
 * Record every event in `names` that `source` emits, in the order they fire: for asserting an order
 * ("sessionError strictly before sessionDisconnected") or an absence ("no connectionDestroyed").
 *
 * @example
 * const rec = recordEvents(session, ['sessionReconnecting', 'sessionError', 'sessionDisconnected']);
 * await rec.waitFor('sessionDisconnected', 10_000);
 * expect(rec.names()).toEqual(['sessionReconnecting', 'sessionError', 'sessionDisconnected']);
 */
export function recordEvents(source: SessionEvents, names: readonly (keyof SessionEventMap)[]): EventRecording;
export function recordEvents(source: EventSource, names: readonly string[]): EventRecording;
export function recordEvents(anySource: SessionEvents | EventSource, names: readonly string[]): EventRecording {
  const source = anySource as EventSource;
  const events: RecordedEvent[] = [];
  const waiters = new Set<(e: RecordedEvent) => void>();
  const off: (() => void)[] = [];
  for (const name of names) {
    const listener = ((event: unknown): void => {
      const rec = { name, event };
      events.push(rec);
      for (const w of [...waiters]) w(rec);
    }) as (event: never) => void;
    source.on(name, listener);
    off.push(() => void source.off(name, listener));
  }
  return {
    events,
    names: () => events.map((e) => e.name),
    waitFor(name, ms, predicate) {
      return waitFor<unknown>(
        (resolve) => {
          const match = (e: RecordedEvent): boolean =>
            e.name === name && (predicate === undefined || predicate(e.event));
          const found = events.find(match);
          if (found !== undefined) {
            resolve(found.event);
            return undefined;
          }
          const w = (e: RecordedEvent): void => {
            if (match(e)) resolve(e.event);
          };
          waiters.add(w);
          return () => void waiters.delete(w);
        },
        ms,
        () => `recorded event "${name}" (recorded so far: ${events.map((e) => e.name).join(', ') || 'none'})`,
      );
    },
    stop() {
      for (const f of off) f();
      off.length = 0;
    },
  };
}

/** What {@link untilComplete} waits on: a delivery checker (DeliveryChecker, IncarnationChecker). */
export interface CompletionChecker {
  complete(): boolean;
  onReceive(listener: () => void): () => void;
  missing(): string[];
}

/** Resolves once the checker has every required message; rejects after `ms`, naming what is missing. */
export function untilComplete(checker: CompletionChecker, ms: number, what: string): Promise<void> {
  return waitFor(
    (resolve) => {
      const check = (): void => {
        if (checker.complete()) resolve();
      };
      check();
      return checker.onReceive(check);
    },
    ms,
    () => `${what}; missing: ${checker.missing().join('; ')}`,
  );
}
