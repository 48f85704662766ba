/**
 * Parley: the real server through createServer, an in-memory store, one bench project.
 * Limits are raised so the bench measures the server, not its guards (see docs/BENCHMARKS.md):
 * the per-connection signal rate (default 100/s, burst 200), the signal byte budgets (per
 * connection and per session) and the per-session connection cap (default 2000). Delivery guarantees (sequencing, acks, replay buffer,
 * unsent-bytes bound) stay at their defaults.
 */
import { createServer } from '@parley/server';
import { Parley } from '@parley/server-sdk';
import type { ServerInfo } from './types.js';

export const BENCH_API_KEY = '424242';
export const BENCH_API_SECRET = 'bench-secret-not-for-production-0123456789';

export interface ParleyBenchOptions {
  timings?: { heartbeatInterval?: number; heartbeatTimeout?: number; reconnectWindow?: number };
  /** Cluster mode: this node's Redis (the cluster scenario starts two nodes on one Redis). */
  redis?: string;
  /** Routed sessions through Parley's forwarder (the streams scenario). */
  forwarder?: boolean;
  forwarderImpl?: 'werift' | 'datachannel';
}

export async function startParley(
  host: string,
  extra: ParleyBenchOptions = {},
): Promise<{ info: ServerInfo; close(): Promise<void>; createRoom(): Promise<string> }> {
  const options = {
    port: 0,
    host,
    dataDir: ':memory:',
    projects: [{ apiKey: BENCH_API_KEY, apiSecret: BENCH_API_SECRET }],
    signalRate: { perSecond: 1_000_000, burst: 1_000_000 },
    sessionSignals: { perSecond: 1e9, burst: 1e9, bytesPerSecond: 1e12, byteBurst: 1e12 },
    signalBytes: { perSecond: 1e12, burst: 1e12 },
    maxConnectionsPerSession: 100_000,
    ...(extra.timings ? { timings: extra.timings } : {}),
    ...(extra.redis !== undefined ? { redis: extra.redis } : {}),
    ...(extra.forwarder === true ? { forwarder: true, forwarderImpl: extra.forwarderImpl ?? 'werift' } : {}),
  };
  const server = await createServer(options);
  const url = server.url;
  const port = Number(new URL(url).port);
  const sdk = new Parley(BENCH_API_KEY, BENCH_API_SECRET, { apiUrl: url });
  return {
    info: {
      system: 'parley',
      port,
      url,
      apiKey: BENCH_API_KEY,
      apiSecret: BENCH_API_SECRET,
      options: {
        signalRate: options.signalRate,
        sessionSignals: options.sessionSignals,
        signalBytes: options.signalBytes,
        maxConnectionsPerSession: options.maxConnectionsPerSession,
        timings: extra.timings ?? 'defaults',
        redis: extra.redis !== undefined,
        replay: 'defaults',
        forwarder: extra.forwarder === true ? (extra.forwarderImpl ?? 'werift') : false,
      },
    },
    close: () => server.close(),
    createRoom: async () => (await sdk.createSession({})).sessionId,
  };
}
