/** Request checks every forwarder implementation applies (SDP size and shape, ids). */
import { ForwarderError } from './types.js';

/** Longest SDP accepted (a real offer is 3–8 KB). */
export const MAX_SDP_BYTES = 64 * 1024;
/** Most producers one subscription may consume. */
export const MAX_CONSUMERS_PER_TRANSPORT = 16;

export function checkSdp(sdp: unknown, what: string): string {
  if (typeof sdp !== 'string' || !sdp.startsWith('v=0'))
    throw new ForwarderError('bad-sdp', `${what} is not an SDP session description`);
  if (sdp.length > MAX_SDP_BYTES) throw new ForwarderError('bad-sdp', `${what} is longer than ${MAX_SDP_BYTES} bytes`);
  return sdp;
}

export function checkId(id: unknown, what: string): string {
  if (typeof id !== 'string' || id === '' || id.length > 256)
    throw new ForwarderError('bad-request', `${what} must be a non-empty string`);
  return id;
}
