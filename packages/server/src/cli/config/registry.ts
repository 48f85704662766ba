/**
 * The configuration registry: every setting of `parley serve`, one row each. The flags `serve`
 * accepts, its `--help`, the config file's keys, `parley config check` and the docs tables
 * (checked by config-docs.test.ts) all come from this table. To add a setting: make it a
 * createServer option first (server-options.ts), then add a row here with `option` naming it.
 */
import { CloseCode, DEFAULT_TIMINGS } from '@parley/protocol';
import { DEFAULT_LEASE_TIMINGS } from '../../bus/redis-lease.js';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  DEFAULT_PORT,
  DEFAULT_TOKEN_CLOCK_SKEW_SECONDS,
  redisUrlOf,
} from '../../server-options.js';
import { LOG_FORMATS, LOG_LEVELS } from '../../log/logger.js';
import { GUARD_SETTINGS } from './guard-settings.js';
import { MEDIA_SETTINGS } from './media-settings.js';
import { FORWARDER_IMPL_SETTING } from './forwarder-impl-setting.js';
import { boolean, defineSetting, integer, oneOf, text, ValueError, type AnySetting, type RawValue } from './setting.js';
import { MAX_WORKERS } from '../workers.js';

function redisUrl(raw: RawValue): string {
  try {
    return redisUrlOf(raw) as string;
  } catch {
    throw new ValueError('must be a URL like redis://127.0.0.1:6379');
  }
}

/** The settings of `parley serve`, in the order `--help` and `parley config check` list them. */
export const SETTINGS: readonly AnySetting[] = Object.freeze([
  defineSetting({
    name: 'port',
    flag: 'port',
    metavar: 'N',
    env: 'PARLEY_PORT',
    key: 'port',
    kind: 'string',
    parse: integer(0, 65535),
    default: () => DEFAULT_PORT,
    defaultText: String(DEFAULT_PORT),
    doc: 'TCP port; 0 for any free one',
    option: 'port',
  }),
  defineSetting({
    name: 'host',
    flag: 'host',
    metavar: 'H',
    env: 'PARLEY_HOST',
    key: 'host',
    kind: 'string',
    parse: text('a host name or address'),
    default: () => DEFAULT_HOST,
    defaultText: DEFAULT_HOST,
    doc: 'listen address (0.0.0.0 or :: for every interface)',
    option: 'host',
  }),
  defineSetting({
    name: 'data-dir',
    flag: 'data-dir',
    metavar: 'DIR',
    env: 'PARLEY_DATA_DIR',
    key: 'dataDir',
    kind: 'string',
    parse: text("a directory path or ':memory:'"),
    default: () => DEFAULT_DATA_DIR,
    defaultText: DEFAULT_DATA_DIR,
    doc: "where parley.db lives (made private: 700/600); ':memory:' keeps nothing",
    option: 'dataDir',
  }),
  defineSetting({
    name: 'api-key',
    flag: 'api-key',
    metavar: 'K',
    env: 'PARLEY_API_KEY',
    key: 'apiKey',
    kind: 'string',
    parse: text('a non-empty API key'),
    default: () => undefined,
    defaultText: 'a development project, created on the first start',
    doc: 'your own project (with api-secret); turns demo minting off',
  }),
  defineSetting({
    name: 'api-secret',
    flag: 'api-secret',
    metavar: 'S',
    env: 'PARLEY_API_SECRET',
    key: 'apiSecret',
    kind: 'string',
    parse: text('a non-empty API secret'),
    default: () => undefined,
    defaultText: 'none',
    doc: "the project's secret (with api-key)",
    secret: true,
  }),
  defineSetting({
    name: 'demo-credentials',
    flag: 'demo-credentials',
    env: 'PARLEY_DEMO_CREDENTIALS',
    key: 'demoCredentials',
    kind: 'boolean',
    parse: boolean,
    default: () => false,
    defaultText: 'off (on anyway on a loopback host)',
    doc: 'let the demo page mint tokens on a non-loopback host (logs a warning)',
  }),
  defineSetting({
    name: 'drain',
    flag: 'drain',
    metavar: 'MODE',
    env: 'PARLEY_DRAIN',
    key: 'drain',
    kind: 'string',
    parse: oneOf(['service', 'node'] as const),
    default: () => 'service' as const,
    defaultText: 'service (node with redis)',
    doc: `what SIGTERM tells clients: service (close ${CloseCode.ServerShutdown}) or node (close ${CloseCode.NodeDraining}: resume on another node)`,
    option: 'drain',
  }),
  defineSetting({
    name: 'redis',
    flag: 'redis',
    metavar: 'URL',
    env: 'PARLEY_REDIS_URL',
    key: 'redis',
    kind: 'string',
    parse: redisUrl,
    default: () => undefined,
    defaultText: 'none: one process is the whole deployment',
    doc: 'cluster mode: the Redis every node shares (redis://HOST:PORT): sessions, projects, presence; docs/CLUSTER.md',
    option: 'redis',
  }),
  defineSetting({
    name: 'workers',
    flag: 'workers',
    metavar: 'N',
    env: 'PARLEY_WORKERS',
    key: 'workers',
    kind: 'string',
    parse: integer(1, MAX_WORKERS),
    default: () => 1,
    defaultText: '1',
    doc: 'run N nodes (processes) behind this one port (needs redis); SIGTERM drains them all',
  }),
  defineSetting({
    name: 'lease-ttl',
    flag: 'lease-ttl',
    metavar: 'MS',
    env: 'PARLEY_LEASE_TTL',
    key: 'leaseTtl',
    kind: 'string',
    parse: integer(100, 600_000),
    default: () => undefined,
    defaultText: String(DEFAULT_LEASE_TIMINGS.leaseTtlMs),
    doc: "with redis: a node's lease (ms); a dead node's clients are declared gone after it plus the reconnect window",
    option: 'redisLease.leaseTtlMs',
  }),
  defineSetting({
    name: 'lease-renew',
    flag: 'lease-renew',
    metavar: 'MS',
    env: 'PARLEY_LEASE_RENEW',
    key: 'leaseRenew',
    kind: 'string',
    parse: integer(50, 300_000),
    default: () => undefined,
    defaultText: String(DEFAULT_LEASE_TIMINGS.renewEveryMs),
    doc: 'with redis: how often a node renews its lease and looks for dead ones (ms; below lease-ttl)',
    option: 'redisLease.renewEveryMs',
  }),
  defineSetting({
    name: 'reconnect-window',
    flag: 'reconnect-window',
    metavar: 'MS',
    env: 'PARLEY_RECONNECT_WINDOW',
    key: 'reconnectWindow',
    kind: 'string',
    parse: integer(1000, 600_000),
    default: () => undefined,
    defaultText: String(DEFAULT_TIMINGS.reconnectWindow),
    doc: 'how long a dropped client may take to resume (ms) before the others are told it left',
    option: 'timings.reconnectWindow',
  }),
  defineSetting({
    name: 'tls-cert',
    flag: 'tls-cert',
    metavar: 'FILE',
    env: 'PARLEY_TLS_CERT',
    key: 'tlsCert',
    kind: 'string',
    parse: text('a PEM file path'),
    default: () => undefined,
    defaultText: 'none: plain http and ws',
    doc: 'PEM certificate chain: serve https and wss (with tls-key); re-read on SIGHUP',
  }),
  defineSetting({
    name: 'tls-key',
    flag: 'tls-key',
    metavar: 'FILE',
    env: 'PARLEY_TLS_KEY',
    key: 'tlsKey',
    kind: 'string',
    parse: text('a PEM file path'),
    default: () => undefined,
    defaultText: 'none',
    doc: "the certificate's PEM private key (with tls-cert); re-read on SIGHUP",
  }),
  defineSetting({
    name: 'trust-proxy',
    flag: 'trust-proxy',
    metavar: 'HOPS',
    env: 'PARLEY_TRUST_PROXY',
    key: 'trustProxy',
    kind: 'string',
    parse: integer(0, 10),
    default: () => 0,
    defaultText: '0 (X-Forwarded-For is ignored)',
    doc: 'how many reverse proxies in front of the server to believe the forwarding header (proxy-header) from',
    option: 'trustProxy',
  }),
  ...GUARD_SETTINGS,
  ...MEDIA_SETTINGS,
  FORWARDER_IMPL_SETTING,
  defineSetting({
    name: 'max-token-lifetime',
    flag: 'max-token-lifetime',
    metavar: 'S',
    env: 'PARLEY_MAX_TOKEN_LIFETIME',
    key: 'maxTokenLifetime',
    kind: 'string',
    parse: integer(1, 10 * 365 * 24 * 3600),
    default: () => DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    defaultText: `${DEFAULT_MAX_TOKEN_LIFETIME_SECONDS} (30 days)`,
    doc: 'longest client token lifetime accepted at join, seconds (expiry minus issue time)',
    option: 'maxTokenLifetime',
  }),
  defineSetting({
    name: 'token-clock-skew',
    flag: 'token-clock-skew',
    metavar: 'S',
    env: 'PARLEY_TOKEN_CLOCK_SKEW',
    key: 'tokenClockSkew',
    kind: 'string',
    parse: integer(0, 3600),
    default: () => DEFAULT_TOKEN_CLOCK_SKEW_SECONDS,
    defaultText: String(DEFAULT_TOKEN_CLOCK_SKEW_SECONDS),
    doc: "clock skew tolerated on a client token's expiry and not-before, seconds",
    option: 'tokenClockSkew',
  }),
  defineSetting({
    name: 'log-level',
    flag: 'log-level',
    metavar: 'L',
    env: 'PARLEY_LOG_LEVEL',
    key: 'logLevel',
    kind: 'string',
    parse: oneOf(LOG_LEVELS),
    default: () => 'info' as const,
    defaultText: 'info',
    doc: 'lines at this level or more severe are written: fatal, error, warn, info, debug, trace; silent: none',
  }),
  defineSetting({
    name: 'log-format',
    flag: 'log-format',
    metavar: 'F',
    env: 'PARLEY_LOG_FORMAT',
    key: 'logFormat',
    kind: 'string',
    parse: oneOf(LOG_FORMATS),
    default: () => (process.stderr.isTTY ? 'pretty' : 'json'),
    defaultText: 'pretty when stderr is a terminal, else json',
    doc: 'json: one JSON object a line (pino); pretty: one readable line each',
  }),
]);

/** The flag that names the config file (not a setting itself: it says where settings come from). */
export const CONFIG_FLAG = 'config';
/** The variable that names the config file when `--config` is not given. */
export const CONFIG_ENV = 'PARLEY_CONFIG';

/** The row of a name; throws for a name not in the registry (a programming error). */
export function settingNamed(name: string): AnySetting {
  const s = SETTINGS.find((row) => row.name === name);
  if (s === undefined) throw new Error(`no setting named ${name}`);
  return s;
}
