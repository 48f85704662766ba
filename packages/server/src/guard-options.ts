/**
 * The operations options of {@link createServer} (issue 12): proxy trust, per-address limits on
 * WebSocket upgrades, the `Origin` allow-list, sessions per project, metrics and the drain delay.
 * Kept apart from server-options.ts (which merges them) so each file stays readable.
 * docs/OPERATIONS.md §Abuse limits lists every default.
 */
import type { ProxyHeader } from './http/client-address.js';
import type { BucketRate } from './http/address-buckets.js';

/**
 * Per client address limits on WebSocket upgrades (joins and resumes). The address is
 * `clientAddress()` (so `trustProxy` decides it), counted per IPv4 address or IPv6 /64.
 */
export interface ConnectionLimits {
  /** Upgrades one address may start at once (token bucket burst). */
  readonly perIpBurst: number;
  /** Upgrades per second one address earns back. */
  readonly perIpPerSecond: number;
  /** WebSockets (and upgrades in progress) one address may hold open at the same time. */
  readonly perIpMax: number;
  /**
   * Leave loopback clients (127.0.0.0/8, ::1) unlimited: local tools, tests, benchmarks, and a
   * same-host proxy whose `trustProxy` is not set (then every client looks like 127.0.0.1, and
   * limiting them as one would refuse everybody).
   */
  readonly exemptLoopback: boolean;
}

/**
 * 50 upgrades at once per address, then 10 a second; 1,000 open at once per address; loopback
 * exempt. A NAT of 1,000 users reconnecting after a network blip gets through in under 100 s
 * (each client retries with backoff, inside its 30 s reconnect window for most): raise them for
 * bigger shared addresses.
 */
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  perIpBurst: 50,
  perIpPerSecond: 10,
  perIpMax: 1000,
  exemptLoopback: true,
});

/** Sessions one project may create through the REST API: a token bucket per API key. */
export type SessionCreationRate = BucketRate;

/** 1,000 at once per project, then 100 a second. */
export const DEFAULT_SESSION_CREATION_RATE: Readonly<SessionCreationRate> = Object.freeze({
  perSecond: 100,
  burst: 1000,
});

/** `/metrics` (Prometheus text format). */
export interface MetricsOptions {
  /** Serve `/metrics`. @default true */
  readonly enabled: boolean;
  /** When set, `/metrics` answers only `Authorization: Bearer <token>` (401 otherwise). */
  readonly token: string | undefined;
}

/** The options this file adds to ServerOptions (all optional there). */
export interface GuardOptions {
  /**
   * How many reverse proxies stand in front of this server, each appending its peer's address to
   * `proxyHeader`. 0: trust no header (the TCP peer is the client). @default 0
   */
  trustProxy?: number;
  /** Which header the trusted proxies write. @default 'x-forwarded-for' */
  proxyHeader?: ProxyHeader;
  /** Per client address limits on WebSocket upgrades. @default DEFAULT_CONNECTION_LIMITS */
  connectionLimits?: Partial<ConnectionLimits>;
  /**
   * Browser origins allowed to open a WebSocket (`Origin` header, e.g. 'https://app.example.com').
   * An upgrade with another `Origin` is answered 403; one without (not a browser) is allowed.
   * @default [] (any origin)
   */
  allowedOrigins?: readonly string[];
  /** Sessions a project may create through the REST API. @default DEFAULT_SESSION_CREATION_RATE */
  sessionCreation?: Partial<SessionCreationRate>;
  /** `/metrics`. @default { enabled: true } (no token) */
  metrics?: Partial<MetricsOptions>;
  /**
   * How long `close()` keeps serving while `/readyz` answers 503, before it refuses upgrades and
   * closes connections: time for a load balancer to stop sending new clients here. @default 0
   */
  drainDelay?: number;
}

/** {@link GuardOptions} with defaults applied. */
export interface ResolvedGuardOptions {
  readonly trustProxy: { readonly hops: number; readonly header: ProxyHeader };
  readonly connectionLimits: Readonly<ConnectionLimits>;
  readonly allowedOrigins: readonly string[];
  readonly sessionCreation: Readonly<SessionCreationRate>;
  readonly metrics: Readonly<MetricsOptions>;
  readonly drainDelay: number;
}

/** The keys {@link resolveGuardOptions} reads. */
export const GUARD_OPTION_KEYS: readonly string[] = [
  'trustProxy',
  'proxyHeader',
  'connectionLimits',
  'allowedOrigins',
  'sessionCreation',
  'metrics',
  'drainDelay',
];

function rec(name: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError(`${name} must be an object`);
  return v as Record<string, unknown>;
}

function count(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    throw new TypeError(`${name} must be an integer ≥ ${min}; got ${JSON.stringify(v)}`);
  return v;
}

function rate(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new TypeError(`${name} must be a positive number; got ${JSON.stringify(v)}`);
  return v;
}

function bool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean; got ${JSON.stringify(v)}`);
  return v;
}

function origins(v: unknown): readonly string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(s)))
    throw new TypeError(
      "allowedOrigins must be an array of origins like 'https://app.example.com' (scheme://host[:port])",
    );
  return Object.freeze((v as string[]).map((s) => s.toLowerCase()));
}

/**
 * Apply defaults and validate; throws a TypeError naming the first misuse.
 * @example resolveGuardOptions({ trustProxy: 1 }).trustProxy.hops // 1
 */
export function resolveGuardOptions(o: Record<string, unknown>): ResolvedGuardOptions {
  const hops = count('trustProxy', o.trustProxy ?? 0, 0);
  const header = o.proxyHeader ?? 'x-forwarded-for';
  if (header !== 'x-forwarded-for' && header !== 'forwarded')
    throw new TypeError(`proxyHeader must be 'x-forwarded-for' or 'forwarded'; got ${JSON.stringify(header)}`);
  const c = rec('connectionLimits', o.connectionLimits);
  const cd = DEFAULT_CONNECTION_LIMITS;
  const s = rec('sessionCreation', o.sessionCreation);
  const sd = DEFAULT_SESSION_CREATION_RATE;
  const m = rec('metrics', o.metrics);
  if (m.token !== undefined && (typeof m.token !== 'string' || m.token === '' || /\s/.test(m.token)))
    throw new TypeError('metrics.token must be a non-empty string without whitespace');
  return {
    trustProxy: Object.freeze({ hops, header }),
    connectionLimits: Object.freeze({
      perIpBurst: count('connectionLimits.perIpBurst', c.perIpBurst ?? cd.perIpBurst, 1),
      perIpPerSecond: rate('connectionLimits.perIpPerSecond', c.perIpPerSecond ?? cd.perIpPerSecond),
      perIpMax: count('connectionLimits.perIpMax', c.perIpMax ?? cd.perIpMax, 1),
      exemptLoopback: bool('connectionLimits.exemptLoopback', c.exemptLoopback ?? cd.exemptLoopback),
    }),
    allowedOrigins: origins(o.allowedOrigins),
    sessionCreation: Object.freeze({
      perSecond: rate('sessionCreation.perSecond', s.perSecond ?? sd.perSecond),
      burst: count('sessionCreation.burst', s.burst ?? sd.burst, 1),
    }),
    metrics: Object.freeze({
      enabled: bool('metrics.enabled', m.enabled ?? true),
      token: m.token as string | undefined,
    }),
    drainDelay: count('drainDelay', o.drainDelay ?? 0, 0),
  };
}
