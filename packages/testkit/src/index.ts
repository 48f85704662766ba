/**
 * @parley/testkit: what Parley's integration tests and chaos runs are made of. Private; not published.
 *
 * @example
 * import { FaultProxy, nextEvent, runChaos } from '@parley/testkit';
 */
export { FaultProxy, type Direction, type FaultOptions, type FaultProxyOptions } from './fault-proxy.js';
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
export { prng, type Prng } from './prng.js';
export { SplitBus, type SplitBusOptions } from './split-bus.js';
export { startNodes, type Nodes, type BusKind, BUS_KINDS } from './nodes.js';
export { V1_SERVER_MESSAGE_TYPES } from './version-1.js';
