/**
 * @parley/protocol: the wire protocol both the server and the client import.
 * Pure data and pure functions: no timers, no sockets, no runtime dependencies.
 */
export * from './codes.js';
export * from './limits.js';
export * from './roles.js';
export * from './messages.js';
export * from './protocol-error.js';
export * from './codec.js';
export * from './validate.js';
export * from './session-id.js';
export * from './handshake.js';
export * from './capabilities.js';
export * from './streams.js';
export { decodeStreamInfo } from './stream-codec.js';
