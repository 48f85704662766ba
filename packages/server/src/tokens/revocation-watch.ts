/**
 * Revocations made through another node: every node reads the rules added to the shared store
 * lately, every {@link REVOCATION_POLL_MS}, and disconnects its own holders (the node that took the
 * REST call has done so at once). Re-applying a rule is harmless: its holders are gone, and a
 * token it refuses cannot join again.
 */
import type { ServerClock } from '../core/clock.js';
import type { Endpoint } from '../core/endpoint.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';

/** How often a node looks for rules added elsewhere. */
export const REVOCATION_POLL_MS = 2000;
/** How far back each look reaches past the previous one, seconds (a late timer, clocks a little apart). */
const OVERLAP_SECONDS = 10;

/**
 * Start watching; returns the function that stops it.
 * @example const stop = watchRevocations(store, endpoint, clock, logger); … stop();
 */
export function watchRevocations(
  store: Store,
  endpoint: Pick<Endpoint, 'revoke' | 'connectionCount'>,
  clock: ServerClock,
  logger: Logger,
): () => void {
  let since = clock.now() / 1000 - OVERLAP_SECONDS;
  let busy = false;
  let failing = false;
  const poll = async (): Promise<void> => {
    const now = clock.now() / 1000;
    // Nobody here to disconnect: nothing to read (joins are checked against the store anyway).
    if (endpoint.connectionCount() === 0) {
      since = now - OVERLAP_SECONDS;
      return;
    }
    const rules = await store.listRevocations(Math.floor(since), now);
    for (const rule of rules) await endpoint.revoke(rule, now);
    since = now - OVERLAP_SECONDS;
  };
  const timer = clock.setInterval(() => {
    if (busy) return;
    busy = true;
    poll()
      .then(() => {
        failing = false;
      })
      .catch((err: unknown) => {
        if (!failing) logger.error({ err }, `tokens: reading revocations failed: ${String(err)}`);
        failing = true;
      })
      .finally(() => {
        busy = false;
      });
  }, REVOCATION_POLL_MS);
  return () => {
    clock.clearInterval(timer);
  };
}
