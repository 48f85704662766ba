/**
 * Several Parley servers in this process that form one deployment: a shared store and either
 * one server over the in-memory bus (`memory`) or several "nodes" over a {@link SplitBus}
 * (`split`). Tests spread the members of one session over the nodes (round robin) and run the
 * same assertions over both.
 */
import { createServer, openStore, type ParleyServer, type ServerOptions } from '@parley/server';
import { SplitBus } from './split-bus.js';

export type BusKind = 'memory' | 'split';
/** For `describe.each(BUS_KINDS)`. */
export const BUS_KINDS: readonly BusKind[] = ['memory', 'split'];

/** How many nodes the split bus gets. */
const SPLIT_NODES = 3;

export interface Nodes {
  readonly kind: BusKind;
  /** Every node (one for `memory`). */
  readonly servers: readonly ParleyServer[];
  /** The split bus, when `split`. */
  readonly bus: SplitBus | undefined;
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
): Promise<Nodes> {
  if (kind === 'memory') {
    const server = await createServer({ ...options, ...(ports?.[0] !== undefined && { port: ports[0] }) });
    return {
      kind,
      servers: [server],
      bus: undefined,
      next: () => server,
      connectionCount: () => server.connectionCount(),
      close: () => server.close(),
    };
  }
  const store = options.store ?? openStore(options.dataDir ?? ':memory:');
  const bus = new SplitBus({ delay });
  const servers: ParleyServer[] = [];
  for (let i = 0; i < SPLIT_NODES; i++) {
    // The first node takes the given port; the others an ephemeral one.
    const port = ports?.[i] ?? (i === 0 ? options.port : 0);
    servers.push(await createServer({ ...options, ...(port !== undefined && { port }), bus: bus.node(), store }));
  }
  let turn = 0;
  let closing: Promise<void> | undefined;
  return {
    kind,
    servers,
    bus,
    next: () => servers[turn++ % servers.length] as ParleyServer,
    connectionCount: () => servers.reduce((n, s) => n + s.connectionCount(), 0),
    close: () =>
      (closing ??= (async () => {
        await Promise.all(servers.map((s) => s.close()));
        if (options.store === undefined) await store.close();
      })()),
  };
}
