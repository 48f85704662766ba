/**
 * Several Parley servers in this process that form one deployment: a shared store and either
 * one server over the in-memory bus (`memory`), several "nodes" over a {@link SplitBus}
 * (`split`), or several nodes each with its own {@link RedisBus} handle on one private
 * redis-server (`redis`: started once per test file, a fresh key prefix per deployment). Tests
 * spread the members of one session over the nodes (round robin) and run the same assertions
 * over all of them.
 */
import { randomBytes } from 'node:crypto';
import {
  createServer,
  openStore,
  RedisBus,
  type LeaseTimings,
  type ParleyServer,
  type ServerOptions,
} from '@parley/server';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { SplitBus } from './split-bus.js';

export type BusKind = 'memory' | 'split' | 'redis';
/** For `describe.each(BUS_KINDS)`. */
export const BUS_KINDS: readonly BusKind[] = ['memory', 'split', 'redis'];
/** The buses that carry streams (every one: the stream conformance suites run over each). */
export const STREAM_BUS_KINDS: readonly BusKind[] = ['memory', 'split', 'redis'];

/** How many nodes the split and Redis buses get. */
const SPLIT_NODES = 3;

/** The test file's redis-server, started on first use, killed when the process exits. */
let sharedRedis: Promise<RedisServer> | undefined;

/** The redis-server this test file's `redis` deployments share. */
export function testRedis(): Promise<RedisServer> {
  if (sharedRedis === undefined) {
    sharedRedis = startRedisServer();
    void sharedRedis.then((redis) => {
      process.once('exit', () => {
        redis.killNow();
      });
    });
  }
  return sharedRedis;
}

/**
 * Leases for test deployments: shorter than production's, long enough that a busy machine (all
 * nodes in one process) never misses a renewal.
 */
export const REDIS_TEST_LEASE = { leaseTtlMs: 5_000, renewEveryMs: 500 } as const;

export interface Nodes {
  readonly kind: BusKind;
  /** Every node (one for `memory`). */
  readonly servers: readonly ParleyServer[];
  /** The split bus, when `split`. */
  readonly bus: SplitBus | undefined;
  /** Each node's Redis bus handle, when `redis` (in the order of `servers`). */
  readonly redisBuses: readonly RedisBus[];
  /** The node for the next new connection (round robin). */
  next(): ParleyServer;
  /** Connections held by every node together. */
  connectionCount(): number;
  close(): Promise<void>;
}

/**
 * @example
 * const nodes = await startNodes('split', { port: 0, projects });
 * const url = nodes.next().wsUrl;
 */
export async function startNodes(
  kind: BusKind,
  options: ServerOptions,
  /** The ports to listen on (a restart on the same ports); by default `options.port` then ephemeral ones. */
  ports?: readonly number[],
  /** The split bus's delay per batch. @default 1 to 3 ms at random */
  delay: () => number = () => 1 + Math.floor(Math.random() * 3),
  /** The Redis buses' lease timings. @default REDIS_TEST_LEASE */
  lease: LeaseTimings = REDIS_TEST_LEASE,
): Promise<Nodes> {
  if (kind === 'memory') {
    const server = await createServer({ ...options, ...(ports?.[0] !== undefined && { port: ports[0] }) });
    return {
      kind,
      servers: [server],
      bus: undefined,
      redisBuses: [],
      next: () => server,
      connectionCount: () => server.connectionCount(),
      close: () => server.close(),
    };
  }
  const store = options.store ?? openStore(options.dataDir ?? ':memory:');
  const bus = kind === 'split' ? new SplitBus({ delay }) : undefined;
  const redisBuses: RedisBus[] = [];
  if (kind === 'redis') {
    const { url } = await testRedis();
    const prefix = `t${randomBytes(4).toString('hex')}:`;
    for (let i = 0; i < SPLIT_NODES; i++) redisBuses.push(new RedisBus({ url, prefix, ...lease }));
    await Promise.all(redisBuses.map((b) => b.whenReady()));
  }
  const servers: ParleyServer[] = [];
  for (let i = 0; i < SPLIT_NODES; i++) {
    // The first node takes the given port; the others an ephemeral one.
    const port = ports?.[i] ?? (i === 0 ? options.port : 0);
    const nodeBus = bus?.node() ?? redisBuses[i];
    servers.push(await createServer({ ...options, ...(port !== undefined && { port }), bus: nodeBus, store }));
  }
  let turn = 0;
  let closing: Promise<void> | undefined;
  return {
    kind,
    servers,
    bus,
    redisBuses,
    next: () => servers[turn++ % servers.length] as ParleyServer,
    connectionCount: () => servers.reduce((n, s) => n + s.connectionCount(), 0),
    close: () =>
      (closing ??= (async () => {
        await Promise.all(servers.map((s) => s.close()));
        await Promise.all(redisBuses.map((b) => b.close()));
        if (options.store === undefined) await store.close();
      })()),
  };
}
