/** The selective forwarding unit of routed sessions (see ARCHITECTURE.md, media/). */
export * from './types.js';
export { WorkerForwarder } from './worker-forwarder.js';
export { DEFAULT_MEDIA_ADDRESS, createForwarder } from './create-forwarder.js';
export { ForwarderMediaRouter, forwarderMediaRouter } from './forwarder-router.js';
