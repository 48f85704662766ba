/**
 * Waiting with deadlines: tests wait for events, never sleep.
 */
import type { Session, SessionEventMap, SessionEventName } from '@parley/client';

/** Reject with a clear message when `promise` takes longer than `ms`. */
export function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/** The next `event` the session fires (optionally one matching `pred`), within `ms`. */
export function waitFor<K extends SessionEventName>(
  session: Session,
  event: K,
  ms = 2000,
  pred: (e: SessionEventMap[K]) => boolean = () => true,
): Promise<SessionEventMap[K]> {
  let off = (): void => undefined;
  const p = new Promise<SessionEventMap[K]>((resolve) => {
    off = session.on(event, (e) => {
      if (!pred(e)) return;
      off();
      resolve(e);
    });
  });
  return deadline(p, ms, `"${event}"`).finally(off);
}
