/**
 * @parley/testkit: what Parley's integration tests and chaos runs are made of. Private; not published.
 *
 * @example
 * import { FaultProxy, nextEvent, runChaos } from '@parley/testkit';
 */
export { FaultProxy, type Direction, type FaultOptions, type FaultProxyOptions } from './fault-proxy.js';
export { UdpRelay, relayedWebRtc, sdpViaRelay, type WebRtcLike } from './udp-relay.js';
export {
  waitFor,
  withDeadline,
  nextEvent,
  nextEmitted,
  recordEvents,
  WaitTimeoutError,
  type Subscribe,
  type EventSource,
  type SessionEvents,
  type EventRecording,
  type RecordedEvent,
} from './wait-for.js';
export {
  launchChromium,
  CHROMIUM_PATH,
  CHROMIUM_FLAGS,
  CHROMIUM_MEDIA_FLAGS,
  type LaunchChromiumOptions,
  type LaunchedChromium,
} from './chromium.js';
export {
  inLoopbackNamespace,
  assertLoopbackOnly,
  nonLoopbackInterfaces,
  LOOPBACK_NAMESPACE_SCRIPT,
} from './loopback-namespace.js';
export { runChaos, formatChaosTable, type ChaosOptions, type ChaosResult, type FaultKind } from './chaos.js';
export { DeliveryChecker, type DeliveryCounts } from './delivery-checker.js';
export {
  runClusterChaos,
  formatClusterChaosTable,
  type ClusterChaosOptions,
  type ClusterChaosResult,
  type ServerFaultKind,
} from './cluster-chaos.js';
export { IncarnationChecker, type IncarnationCounts } from './incarnation-checker.js';
export { startProcessCluster, type ProcessCluster, type ProcessClusterOptions } from './process-cluster.js';
export { prng, type Prng } from './prng.js';
export { SplitBus, type SplitBusOptions } from './split-bus.js';
export {
  startNodes,
  testRedis,
  REDIS_TEST_LEASE,
  type Nodes,
  type BusKind,
  BUS_KINDS,
  STREAM_BUS_KINDS,
} from './nodes.js';
export { V1_SERVER_MESSAGE_TYPES } from './version-1.js';
export { clientMessageArb, clientFrameArb, serverMessageArb, garbageTextArb, encodeFrame } from './fuzz/arbitraries.js';
export { mutate, mutateOnce } from './fuzz/mutate.js';
export { runFuzz, formatFuzzTable, type FuzzOptions, type FuzzResult } from './fuzz/run-fuzz.js';
export { fuzzVerdict, FUZZ_MAX_RSS_MB } from './fuzz/verdict.js';
export { selfSignedCert, type TestCert } from './tls-cert.js';
export {
  startRedisServer,
  redisCommand,
  REDIS_SERVER_PATH,
  type RedisServer,
  type RedisServerOptions,
} from './redis-server.js';
export { redisTraces } from './redis-traces.js';
export { startParleyProcess, PARLEY_BIN, type ParleyProcess } from './parley-process.js';
export { parseMetrics } from './metrics.js';
