import {
  encodeMessage,
  MAX_CLIENT_FRAME_BYTES,
  MAX_SIGNAL_DATA_LENGTH,
  MAX_SIGNAL_TYPE_LENGTH,
  type ConnectionInfo,
  type IceServerInfo,
  type SessionTimings,
  type StreamInfo,
} from '@parley/protocol';
import type { Connection } from './connection.js';

/**
 * Encode the `welcome` of a join: this connection, the others (oldest first), the resume key,
 * the timings and limits in force; with capability `streams`, the streams, the media mode and the
 * ICE servers.
 * @example c.out.push(encodeWelcome(c, others, timings));
 */
export function encodeWelcome(
  c: Connection,
  others: readonly ConnectionInfo[],
  timings: SessionTimings,
  streams: readonly StreamInfo[] = [],
  iceServers: readonly IceServerInfo[] = [],
): string {
  const media = c.wireCaps.includes('streams') ? { streams, mediaMode: c.mediaMode, iceServers } : undefined;
  return encodeMessage({
    t: 'welcome',
    v: 1,
    connection: c.info,
    role: c.role,
    connections: others,
    resumeKey: c.resumeKey,
    heartbeatInterval: timings.heartbeatInterval,
    heartbeatTimeout: timings.heartbeatTimeout,
    reconnectWindow: timings.reconnectWindow,
    limits: {
      maxSignalTypeLength: MAX_SIGNAL_TYPE_LENGTH,
      maxSignalDataLength: MAX_SIGNAL_DATA_LENGTH,
      maxClientFrameBytes: MAX_CLIENT_FRAME_BYTES,
    },
    // Always present (empty for a client that declared none): a field an old client ignores.
    caps: c.wireCaps,
    ...media,
  });
}
