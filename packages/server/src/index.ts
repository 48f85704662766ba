/**
 * @parley/server: projects, sessions, token checks, the WebSocket gateway, the realtime core and
 * the OpenTok-compatible REST API.
 * @example
 * import { createServer } from '@parley/server';
 * const server = await createServer({ port: 8720 });
 */
export { createServer, type ParleyServer } from './create-server.js';
export {
  DEFAULT_DATA_DIR,
  DEFAULT_DEMO_LIMITS,
  DEFAULT_HTTP_TIMEOUTS,
  DEFAULT_HOST,
  DEFAULT_PORT,
  resolveServerOptions,
  type DemoLimits,
  type HttpTimeouts,
  type ProjectCredentials,
  type ResolvedServerOptions,
  type ServerOptions,
} from './server-options.js';
export {
  DEFAULT_CONNECTION_LIMITS,
  DEFAULT_SESSION_CREATION_RATE,
  type ConnectionLimits,
  type GuardOptions,
  type MetricsOptions,
  type SessionCreationRate,
} from './guard-options.js';
export { clientAddress, clientKey, type ProxyHeader, type ProxyTrust } from './http/client-address.js';
export type { LabelledValue, MetricFamily, MetricsSource } from './metrics/metric-family.js';
export type { Endpoint, JoinGrant } from './core/endpoint.js';
export { ParleyEndpoint, type ParleyEndpointOptions } from './core/parley-endpoint.js';
export { systemClock, type ServerClock } from './core/clock.js';
export type {
  BusHealth,
  BusListener,
  ClaimCallbacks,
  HandoffState,
  DisconnectOrigin,
  JoinResult,
  OpResult,
  SessionBus,
  SessionEvent,
  SignalCharge,
  Requester,
  DirectEvent,
  MemberCheckpoint,
  RebuildState,
  LoggedEvent,
  SignalEvent,
} from './bus/session-bus.js';
export { InMemoryBus } from './bus/in-memory-bus.js';
export {
  applyStreamOp,
  leaveStreams,
  newSessionStreams,
  streamInfos,
  type Outgoing,
  type SessionStreams,
  type StreamEvent,
  type StreamOp,
  type StreamOpError,
  type StreamOpResult,
  type StreamRecord,
  type StreamView,
} from './bus/stream-ops.js';
export type { MediaRouter, MediaRouterFactory, MediaRouterHost, MediaSubscription } from './media/router-hook.js';
export { RedisBus, type RedisBusOptions } from './bus/redis-bus.js';
export { DEFAULT_LEASE_TIMINGS, type LeaseTimings } from './bus/redis-lease.js';
export { busOps, type RealtimeOps } from './rest/realtime-ops.js';
export type { DrainMode } from './core/drain.js';
export {
  createPinoLogger,
  lineLogger,
  REDACTED_FIELDS,
  type LogFields,
  type LogFn,
  type Logger,
} from './log/logger.js';
export type { ArchiveMode, MediaMode, Project, SessionRecord, Store } from './store/store.js';
export { SqliteStore } from './store/sqlite-store.js';
export { openStore } from './store/open-store.js';
export { RedisStore, DuplicateSessionError, type RedisStoreOptions } from './store/redis-store.js';
export { DataDirError } from './store/data-dir.js';
export * from './media/index.js';
