/**
 * How a draining server closes its sockets (PROTOCOL.md §Drain): 4013 when the service is going
 * away (one node, the default; terminal for the client), 4016 when only this node is (a rolling
 * restart of a cluster; the client resumes elsewhere).
 */
import { CloseCode } from '@parley/protocol';

/** What `drain` means for this server: the whole service stops, or only this node. */
export type DrainMode = 'service' | 'node';

/** The two close codes a drain may use. */
export type DrainCode = CloseCode.ServerShutdown | CloseCode.NodeDraining;

/** @example drainCodeFor('node') // CloseCode.NodeDraining (4016) */
export function drainCodeFor(mode: DrainMode): DrainCode {
  return mode === 'node' ? CloseCode.NodeDraining : CloseCode.ServerShutdown;
}

/** The close reason sent with a drain code. */
export function drainReason(code: DrainCode): string {
  return code === CloseCode.NodeDraining ? 'node draining, resume elsewhere' : 'server shutting down';
}
