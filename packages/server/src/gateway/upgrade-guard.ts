/**
 * The checks in front of every WebSocket upgrade that must stay cheap under a flood, so they run
 * before the handshake is parsed or a token is verified: the `Origin` allow-list and the per
 * client address limits (a token bucket of upgrades, and a cap on sockets open at once).
 *
 * WHY plain HTTP (403, 429 with `Retry-After`) and not the gateway's "101 then a close code":
 * the close code exists so a client can tell a refusal it must not retry (bad token) from an
 * unreachable server; here the right reaction is the same as for an unreachable server (back off
 * and try again), and a refusal that costs a WebSocket handshake and a 2 s close grace per attempt
 * would make the flood cheaper for the sender than for us. The client SDK retries a refused join
 * (its `connectAttempts`) and a refused resume (inside the reconnect window) with backoff.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { KeyedBuckets } from '../http/address-buckets.js';
import { clientAddress, clientKey, isLoopback, type ProxyTrust } from '../http/client-address.js';
import { rawJsonResponse } from '../http/client-error.js';
import type { ConnectionLimits } from '../guard-options.js';
import type { Logger } from '../log/logger.js';
import type { ServerCounters } from '../metrics/server-counters.js';

/** What {@link UpgradeGuard.admit} needs to know. */
export interface UpgradeGuardOptions {
  readonly limits: Readonly<ConnectionLimits>;
  /** Lower-cased origins; empty: any. */
  readonly allowedOrigins: readonly string[];
  readonly trust: Readonly<ProxyTrust>;
  readonly counters: ServerCounters;
  readonly logger: Logger;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * @example
 * const guard = new UpgradeGuard({ limits, allowedOrigins: [], trust: NO_PROXY, counters, logger });
 * const ip = guard.admit(req, socket);
 * if (ip === undefined) return; // refused and destroyed
 */
export class UpgradeGuard {
  readonly #buckets: KeyedBuckets;
  /** Sockets open per address key (admitted upgrades until their TCP connection closes). */
  readonly #open = new Map<string, number>();

  constructor(private readonly o: UpgradeGuardOptions) {
    const { perIpPerSecond, perIpBurst } = o.limits;
    this.#buckets = new KeyedBuckets({ perSecond: perIpPerSecond, burst: perIpBurst }, o.now);
  }

  /** Sockets counted for `address` now (for tests and logs). */
  openCount(address: string): number {
    return this.#open.get(clientKey(address)) ?? 0;
  }

  /**
   * Admit an upgrade (the client's address, counted until the socket closes), or answer 403/429,
   * destroy the socket and return undefined.
   */
  admit(req: IncomingMessage, socket: Duplex): string | undefined {
    const ip = clientAddress(req, this.o.trust);
    const origin = req.headers.origin;
    if (
      origin !== undefined &&
      this.o.allowedOrigins.length > 0 &&
      !this.o.allowedOrigins.includes(origin.toLowerCase())
    ) {
      this.o.counters.refusedJoins.origin++;
      this.#refuse(socket, ip, 403, `origin ${origin.slice(0, 100)} is not allowed to connect`, {});
      return undefined;
    }
    const { limits, counters } = this.o;
    if (limits.exemptLoopback && isLoopback(ip)) return ip;
    const key = clientKey(ip);
    const open = this.#open.get(key) ?? 0;
    if (open >= limits.perIpMax) {
      counters.refusedJoins.address_limit++;
      counters.rateLimited.ip_connections++;
      this.#refuse(socket, ip, 429, `too many open connections from this address (at most ${limits.perIpMax})`, {
        'Retry-After': '5',
      });
      return undefined;
    }
    const wait = this.#buckets.take(key);
    if (wait > 0) {
      counters.refusedJoins.address_limit++;
      counters.rateLimited.ip_connect_rate++;
      const message = `too many new connections from this address (${limits.perIpBurst} at once, then ${limits.perIpPerSecond} a second)`;
      this.#refuse(socket, ip, 429, message, { 'Retry-After': String(wait) });
      return undefined;
    }
    this.#open.set(key, open + 1);
    socket.once('close', () => {
      const n = (this.#open.get(key) ?? 1) - 1;
      if (n > 0) this.#open.set(key, n);
      else this.#open.delete(key);
    });
    return ip;
  }

  #refuse(socket: Duplex, ip: string, status: 403 | 429, message: string, headers: Record<string, string>): void {
    this.o.logger.info({ ip, status }, `gateway: refused an upgrade from ${ip}: ${message} (${status})`);
    if (socket.writable) socket.write(rawJsonResponse(status, message, headers));
    socket.destroy();
  }
}
