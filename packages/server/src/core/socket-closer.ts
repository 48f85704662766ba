/**
 * Closes sockets with a code and a reason and makes sure they go away: a peer that never answers
 * the close handshake is terminated after a grace period (ws alone would wait 30 s per socket).
 */
import { WebSocket } from 'ws';

/** Longest close reason RFC 6455 allows, in UTF-8 bytes. */
const MAX_REASON_BYTES = 123;

/** Truncate a close reason to what fits in a close frame. */
export function clipReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_REASON_BYTES) return reason;
  let out = reason.slice(0, MAX_REASON_BYTES);
  while (Buffer.byteLength(out) > MAX_REASON_BYTES) out = out.slice(0, -1);
  return out;
}

/**
 * @example
 * const closer = new SocketCloser(2000);
 * closer.close(ws, CloseCode.Replaced, 'replaced by a newer transport');
 */
export class SocketCloser {
  readonly #closing = new Map<WebSocket, number>();
  #idle: (() => void) | undefined;
  /** Runs only while some socket is closing: one timer for all of them, not one per socket. */
  #reaper: NodeJS.Timeout | undefined;

  /** @param graceMs how long a peer gets to answer the close handshake */
  constructor(private readonly graceMs: number) {}

  /** Close with a code and reason (clipped to 123 bytes); no-op when already closing. */
  close(ws: WebSocket, code: number, reason: string): void {
    if (ws.readyState === WebSocket.CLOSED || this.#closing.has(ws)) return;
    this.#closing.set(ws, Date.now() + this.graceMs);
    ws.once('close', () => {
      this.#closing.delete(ws);
      if (this.#closing.size === 0) {
        clearInterval(this.#reaper);
        this.#reaper = undefined;
        this.#idle?.();
      }
    });
    if (this.#reaper === undefined) {
      this.#reaper = setInterval(
        () => {
          this.reap(Date.now());
        },
        Math.max(50, this.graceMs / 4),
      );
      this.#reaper.unref();
    }
    if (ws.readyState === WebSocket.OPEN) ws.close(code, clipReason(reason));
    else ws.terminate();
  }

  /** Terminate every socket whose grace period ended before `now`. */
  reap(now: number): void {
    for (const [ws, deadline] of this.#closing) if (deadline <= now) ws.terminate();
  }

  /** Sockets still closing. */
  get size(): number {
    return this.#closing.size;
  }

  /** Resolve once every closing socket is gone, terminating the stragglers after `ms`. */
  drain(ms: number): Promise<void> {
    if (this.#closing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const ws of this.#closing.keys()) ws.terminate();
      }, ms);
      this.#idle = () => {
        clearTimeout(timer);
        this.#idle = undefined;
        resolve();
      };
    });
  }
}
