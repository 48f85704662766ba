/**
 * @parley/client: the Parley session client, for browsers and Node.js. This module is free of any
 * environment; `node.ts` and `browser.ts` add the WebSocket implementation.
 *
 * @example
 * import { Session } from '@parley/client';
 * const session = new Session(apiKey, sessionId, undefined, { url: 'http://127.0.0.1:8720' });
 * await session.connect(token);
 */
export { Session } from './session.js';
export type { SessionDelegate } from './session-delegate.js';
export { ParleyError, SessionErrorCode } from './errors.js';
export { SessionConnectionStatus } from './types.js';
export type { Connection, Stream, SignalOptions, SessionDisconnectReason } from './types.js';
export { TypedEmitter } from './events.js';
export { Publisher } from './publisher.js';
export type { PublisherOptions, PublisherDelegate, PublisherEventMap } from './publisher.js';
export { Subscriber } from './subscriber.js';
export type {
  SubscriberOptions,
  SubscriberDelegate,
  SubscriberEventMap,
  SubscriberVideoEventReason,
} from './subscriber.js';
export type { WebRtc } from './webrtc.js';
export type {
  MediaMode,
  StreamDestroyReason,
  StreamProperty,
  VideoDimensions,
  VideoType,
  IceServerInfo,
} from '@parley/protocol';
export type { SessionEventMap, SessionEventName, SessionListener, SessionEventBase, SignalEvent } from './events.js';
export { toWebSocketUrl } from './options.js';
export type { SessionOptions, Clock, Timers, ListenerErrorHook } from './options.js';
export { backoffDelay } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { defaultReconnectPolicy } from './reconnect-policy.js';
export type { ReconnectPolicy, ReconnectContext } from './reconnect-policy.js';
export { setDefaultWebSocket, defaultWebSocket } from './websocket.js';
export type { WebSocketLike, WebSocketConstructor } from './websocket.js';
export { attachPageLifecycle, browserPageLifecycleEnv } from './page-lifecycle.js';
export type { PageLifecycleEnv, PageLifecycleHooks, EventTargetLike } from './page-lifecycle.js';
export type { Capabilities } from '@parley/protocol';
export { NO_CAPABILITIES } from '@parley/protocol';
