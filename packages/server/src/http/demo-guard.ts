/**
 * The two checks in front of `GET /demo/credentials`, which hands anyone who asks a publisher
 * token of the development project:
 *
 * - {@link isDemoHost}: DNS rebinding. A page on `http://attacker.example` whose name is re-pointed
 *   at this server's address can read our answers (same origin for the browser), but its requests
 *   still carry `Host: attacker.example`. Only loopback names and the address the server is bound
 *   to are answered.
 * - {@link DemoLimiter}: every request without `?sessionId=` stores a new session that never
 *   expires. A token bucket per client address and a cap per server run bound how many.
 */
import { isIP, isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { DemoLimits } from '../server-options.js';
import { KeyedBuckets } from './address-buckets.js';

/** The host name of a `Host` header, lower-cased, without port and IPv6 brackets; undefined if unparsable. */
export function hostName(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return undefined;
    const rest = value.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return value.slice(1, end);
  }
  const match = /^([^:]+)(?::\d{1,5})?$/.exec(value);
  return match?.[1];
}

function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name === '::1') return true;
  return isIPv4(name) && name.startsWith('127.');
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** The addresses of this machine's interfaces (for a server bound to every interface). */
function ownAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) out.add(i.address.toLowerCase());
  }
  return out;
}

/**
 * Whether a request with this `Host` header may be answered with demo credentials: a loopback
 * name (`localhost`, 127.0.0.0/8, `[::1]`, any port), the host the server is bound to, or, when it
 * is bound to every interface (`0.0.0.0`, `::`), one of this machine's interface addresses.
 * A missing or unparsable header is refused.
 * @example isDemoHost('localhost:8720', '127.0.0.1') // true
 * @example isDemoHost('attacker.example', '127.0.0.1') // false
 */
export function isDemoHost(header: string | undefined, boundHost: string): boolean {
  const name = hostName(header);
  if (name === undefined || name === '') return false;
  if (isLoopbackName(name)) return true;
  const bound = boundHost.toLowerCase().replace(/^\[|\]$/g, '');
  if (!WILDCARDS.has(bound)) return name === bound;
  return isIP(name) !== 0 && ownAddresses().has(name);
}

/** The outcome of {@link DemoLimiter.admit}. */
export type DemoAdmission =
  | { readonly ok: true }
  | { readonly ok: false; readonly message: string; readonly retryAfterSeconds: number | undefined };

/**
 * Admission of new demo sessions. One instance per server.
 * @example
 * const limiter = new DemoLimiter(DEFAULT_DEMO_LIMITS);
 * const admission = limiter.admit(clientKey(clientAddress(req, trust)));
 * if (!admission.ok) reply429(admission);
 */
export class DemoLimiter {
  readonly #buckets: KeyedBuckets;
  #created = 0;

  constructor(
    private readonly limits: Readonly<DemoLimits>,
    now: () => number = Date.now,
  ) {
    this.#buckets = new KeyedBuckets({ perSecond: limits.perIpPerMinute / 60, burst: limits.perIpBurst }, now);
  }

  /** Ask to create one session for client `key`; an admitted request is counted. */
  admit(key: string): DemoAdmission {
    if (this.#created >= this.limits.maxSessions) {
      return {
        ok: false,
        message: `the demo has created its ${this.limits.maxSessions} sessions for this server run; join an existing session (?sessionId=) or restart the server`,
        retryAfterSeconds: undefined,
      };
    }
    const wait = this.#buckets.take(key);
    if (wait > 0) {
      return {
        ok: false,
        message: `too many new demo sessions from this address (${this.limits.perIpBurst} at once, then ${this.limits.perIpPerMinute} a minute)`,
        retryAfterSeconds: wait,
      };
    }
    this.#created += 1;
    return { ok: true };
  }
}
