import { isIPv4 } from 'node:net';
import type { ForwarderOptions } from './types.js';
import { WorkerForwarder } from './worker-forwarder.js';

/** Default `mediaAddress`: loopback, like the signalling listener. */
export const DEFAULT_MEDIA_ADDRESS = '127.0.0.1';

/**
 * Starts a forwarder: werift in a worker thread (the default, chosen by measurement:
 * docs/BENCHMARKS.md), or `impl: 'datachannel'` (libdatachannel in a child process).
 * `mediaAddress` must be a concrete IPv4 address of this machine that clients can reach.
 */
export function createForwarder(opts: Partial<ForwarderOptions> = {}): WorkerForwarder {
  const mediaAddress = opts.mediaAddress ?? DEFAULT_MEDIA_ADDRESS;
  if (!isIPv4(mediaAddress) || mediaAddress === '0.0.0.0')
    throw new TypeError(`mediaAddress must be one IPv4 address of this machine (got ${JSON.stringify(mediaAddress)})`);
  return new WorkerForwarder({ ...opts, mediaAddress });
}
