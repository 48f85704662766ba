/**
 * The registry rows of the operations options (guard-options.ts): proxy header, metrics, per
 * address limits, the Origin allow-list, sessions per project, the drain delay and the handshake
 * (headers) timeout. Kept in their own file and spliced into SETTINGS after `trust-proxy`.
 * Defaults are left to createServer (one source of truth): a row's value is unset unless given.
 */
import { DEFAULT_CONNECTION_LIMITS as LIMITS, DEFAULT_SESSION_CREATION_RATE as SESSIONS } from '../../guard-options.js';
import { DEFAULT_HTTP_TIMEOUTS } from '../../server-options.js';
import { boolean, defineSetting, integer, oneOf, ValueError, type AnySetting, type RawValue } from './setting.js';

const MAX = Number.MAX_SAFE_INTEGER;

/** Comma-separated origins (`https://a.example,https://b.example`), or a JSON array of them. */
function origins(raw: RawValue): string[] {
  const list = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : raw;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((s) => typeof s === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/\s,]+$/i.test(s))
  )
    throw new ValueError('must be origins like https://app.example.com, separated by commas');
  return list as string[];
}

/** The operations rows, in `--help` order. */
export const GUARD_SETTINGS: readonly AnySetting[] = [
  defineSetting({
    name: 'proxy-header',
    flag: 'proxy-header',
    metavar: 'H',
    env: 'PARLEY_PROXY_HEADER',
    key: 'proxyHeader',
    kind: 'string',
    parse: oneOf(['x-forwarded-for', 'forwarded'] as const),
    default: () => undefined,
    defaultText: 'x-forwarded-for',
    doc: 'the header the trusted proxies write the client address into (forwarded: RFC 7239)',
    option: 'proxyHeader',
  }),
  defineSetting({
    name: 'metrics',
    flag: 'metrics',
    metavar: '1|0',
    env: 'PARLEY_METRICS',
    key: 'metrics',
    kind: 'string',
    parse: boolean,
    default: () => undefined,
    defaultText: '1 (served)',
    doc: 'serve Prometheus metrics at /metrics',
    option: 'metrics.enabled',
  }),
  defineSetting({
    name: 'metrics-token',
    flag: 'metrics-token',
    metavar: 'T',
    env: 'PARLEY_METRICS_TOKEN',
    key: 'metricsToken',
    kind: 'string',
    parse: (raw) => {
      if (typeof raw !== 'string' || raw === '' || /\s/.test(raw))
        throw new ValueError('must be a token without spaces');
      return raw;
    },
    default: () => undefined,
    defaultText: 'none (anyone who reaches /metrics reads it)',
    doc: '/metrics answers only Authorization: Bearer <this token>',
    secret: true,
    option: 'metrics.token',
  }),
  defineSetting({
    name: 'per-ip-burst',
    flag: 'per-ip-burst',
    metavar: 'N',
    env: 'PARLEY_PER_IP_BURST',
    key: 'perIpBurst',
    kind: 'string',
    parse: integer(1, MAX),
    default: () => undefined,
    defaultText: String(LIMITS.perIpBurst),
    doc: 'WebSocket upgrades one client address may start at once (then 429)',
    option: 'connectionLimits.perIpBurst',
  }),
  defineSetting({
    name: 'per-ip-rate',
    flag: 'per-ip-rate',
    metavar: 'N',
    env: 'PARLEY_PER_IP_RATE',
    key: 'perIpRate',
    kind: 'string',
    parse: integer(1, MAX),
    default: () => undefined,
    defaultText: `${LIMITS.perIpPerSecond} a second`,
    doc: 'upgrades a second one client address earns back',
    option: 'connectionLimits.perIpPerSecond',
  }),
  defineSetting({
    name: 'per-ip-max',
    flag: 'per-ip-max',
    metavar: 'N',
    env: 'PARLEY_PER_IP_MAX',
    key: 'perIpMax',
    kind: 'string',
    parse: integer(1, MAX),
    default: () => undefined,
    defaultText: String(LIMITS.perIpMax),
    doc: 'WebSockets one client address may hold open at once (then 429)',
    option: 'connectionLimits.perIpMax',
  }),
  defineSetting({
    name: 'exempt-loopback',
    flag: 'exempt-loopback',
    metavar: '1|0',
    env: 'PARLEY_EXEMPT_LOOPBACK',
    key: 'exemptLoopback',
    kind: 'string',
    parse: boolean,
    default: () => undefined,
    defaultText: '1 (127.0.0.0/8 and ::1 are not limited per address)',
    doc: 'leave loopback clients out of the per-address limits',
    option: 'connectionLimits.exemptLoopback',
  }),
  defineSetting({
    name: 'allowed-origins',
    flag: 'allowed-origins',
    metavar: 'LIST',
    env: 'PARLEY_ALLOWED_ORIGINS',
    key: 'allowedOrigins',
    kind: 'string',
    parse: origins,
    default: () => undefined,
    defaultText: 'any',
    doc: 'browser origins allowed to open a WebSocket, comma-separated (others: 403)',
    option: 'allowedOrigins',
  }),
  defineSetting({
    name: 'session-create-burst',
    flag: 'session-create-burst',
    metavar: 'N',
    env: 'PARLEY_SESSION_CREATE_BURST',
    key: 'sessionCreateBurst',
    kind: 'string',
    parse: integer(1, MAX),
    default: () => undefined,
    defaultText: String(SESSIONS.burst),
    doc: 'sessions one project may create through the REST API at once (then 429)',
    option: 'sessionCreation.burst',
  }),
  defineSetting({
    name: 'session-create-rate',
    flag: 'session-create-rate',
    metavar: 'N',
    env: 'PARLEY_SESSION_CREATE_RATE',
    key: 'sessionCreateRate',
    kind: 'string',
    parse: integer(1, MAX),
    default: () => undefined,
    defaultText: `${SESSIONS.perSecond} a second`,
    doc: 'sessions a second one project earns back',
    option: 'sessionCreation.perSecond',
  }),
  defineSetting({
    name: 'handshake-timeout',
    flag: 'handshake-timeout',
    metavar: 'MS',
    env: 'PARLEY_HANDSHAKE_TIMEOUT',
    key: 'handshakeTimeout',
    kind: 'string',
    parse: integer(1, 300_000),
    default: () => undefined,
    defaultText: `${DEFAULT_HTTP_TIMEOUTS.headersTimeout} ms`,
    doc: 'a connection must send its request headers (or upgrade) within this (then 408)',
    option: 'httpTimeouts.headersTimeout',
  }),
  defineSetting({
    name: 'drain-delay',
    flag: 'drain-delay',
    metavar: 'MS',
    env: 'PARLEY_DRAIN_DELAY',
    key: 'drainDelay',
    kind: 'string',
    parse: integer(0, 600_000),
    default: () => undefined,
    defaultText: '0 ms',
    doc: 'on SIGTERM, answer /readyz 503 and keep serving this long before draining',
    option: 'drainDelay',
  }),
];
