/**
 * Records every delegate call and event of a session, in order, as strings.
 */
import { SessionConnectionStatus, type SessionDelegate } from '@parley/client';

export function recordingDelegate(log: string[]): SessionDelegate {
  return {
    sessionDidConnect: () => log.push('d:connect'),
    sessionDidDisconnect: () => log.push('d:disconnect'),
    sessionDidFailWithError: (_s, e) => log.push(`d:fail:${e.code}`),
    sessionDidBeginReconnecting: () => log.push('d:reconnecting'),
    sessionDidReconnect: () => log.push('d:reconnected'),
    sessionConnectionCreated: (_s, c) => log.push(`d:created:${c.connectionId}`),
    sessionConnectionDestroyed: (_s, c) => log.push(`d:destroyed:${c.connectionId}`),
    sessionReceivedSignal: (_s, type, c, data) =>
      log.push(`d:signal:${type ?? ''}:${c?.connectionId ?? 'null'}:${data ?? ''}`),
    sessionConnectionDidBeginReconnecting: (_s, c) => log.push(`d:peerReconnecting:${c.connectionId}`),
    sessionConnectionDidReconnect: (_s, c) => log.push(`d:peerReconnected:${c.connectionId}`),
  };
}

export const statusName = (s: SessionConnectionStatus): string => SessionConnectionStatus[s];
