/**
 * The orchestrator's probes:
 *
 * - `GET /healthz`: 200 `{"status":"ok"}` while the process answers HTTP at all (liveness: a
 *   failure means restart it).
 * - `GET /readyz`: 200 `{"status":"ready"}` when new clients should be sent here; 503
 *   `{"message","reason"}` while the server drains (`close()` was called: SIGTERM) or when the
 *   session bus says it cannot serve (`SessionBus.health`, e.g. Redis unreachable). A failure
 *   means "route new clients elsewhere", never "restart".
 *
 * Both are cheap (no I/O) and never cached (`Cache-Control: no-store`).
 */
import type { ServerResponse } from 'node:http';
import type { BusHealth } from '../bus/session-bus.js';
import { sendJson } from './json.js';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';

/** What readiness depends on. */
export interface Readiness {
  /** True once `close()` has started. */
  draining(): boolean;
  /** The bus's own answer, when it has one. */
  busHealth(): BusHealth | undefined;
}

const NO_STORE = { 'Cache-Control': 'no-store' };

/** Why the server is not ready, or undefined when it is. */
export function notReadyReason(r: Readiness): string | undefined {
  if (r.draining()) return 'draining';
  const bus = r.busHealth();
  if (bus !== undefined && !bus.ready)
    return `session bus not ready${bus.reason === undefined ? '' : `: ${bus.reason}`}`;
  return undefined;
}

/** Answer `/healthz`. */
export function serveHealth(res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' }, NO_STORE);
}

/** Answer `/readyz`. */
export function serveReady(res: ServerResponse, r: Readiness): void {
  const reason = notReadyReason(r);
  if (reason === undefined) sendJson(res, 200, { status: 'ready' }, NO_STORE);
  else sendJson(res, 503, { message: `not ready: ${reason}`, reason }, NO_STORE);
}
