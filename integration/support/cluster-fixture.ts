/**
 * What both cluster test files set up the same way: one private redis-server per file, the nodes
 * and client sessions of each test ended after it (a failed test prints the end of each node's
 * log first: what a node saw is the only trace of a cluster race), and the helpers that place named
 * clients on nodes. support/cluster.ts has the pieces (nodes, URL lists, the signal flow).
 */
import OpenTok from 'opentok';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Session } from '@parley/client';
import { startRedisServer, type ParleyProcess, type RedisServer } from '@parley/testkit';
import { API_KEY, API_SECRET } from '../harness.js';
import { call, seesOthers } from '../support-opentok.js';
import { joinCluster, killAll, urlsFrom } from './cluster.js';

/** How much of each node's log a failed test prints. */
const LOG_TAIL = 4_000;

/** A test file's cluster: `redis` for the file, `nodes` set by each test and killed after it. */
export interface ClusterFixture {
  readonly redis: RedisServer;
  nodes: ParleyProcess[];
  /** Client sessions disconnected after each test (joinAll adds its own). */
  readonly sessions: Session[];
  /** A routed session created through `node`'s REST API (the official SDK). */
  createSession(node: ParleyProcess): Promise<string>;
  /** Named clients, each joined through its own node (and knowing every node), seeing each other. */
  joinAll(sessionId: string, placement: [string, ParleyProcess][]): Promise<Map<string, Session>>;
}

/** Register the hooks of a cluster test file and return its fixture. */
export function useCluster(): ClusterFixture {
  let redis: RedisServer | undefined;
  const sessions: Session[] = [];
  const cx: ClusterFixture = {
    get redis(): RedisServer {
      if (redis === undefined) throw new Error('the redis-server starts in beforeAll');
      return redis;
    },
    nodes: [],
    sessions,
    async createSession(node) {
      const ot = new OpenTok(API_KEY, API_SECRET, { apiUrl: node.url });
      const s = await call<OpenTok.Session>((cb) => {
        ot.createSession({ mediaMode: 'routed' }, cb);
      });
      return (s as OpenTok.Session).sessionId;
    },
    async joinAll(sessionId, placement) {
      const out = new Map<string, Session>();
      for (const [name, node] of placement) {
        const s = await joinCluster(sessionId, urlsFrom(cx.nodes, node), name);
        sessions.push(s);
        out.set(name, s);
      }
      await Promise.all([...out.values()].map((s) => seesOthers(s, out.size - 1)));
      return out;
    },
  };
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail')
      cx.nodes.forEach((node, i) => {
        console.error(`node ${i} (${node.url}), the end of its log:\n${node.output().slice(-LOG_TAIL)}`);
      });
    await Promise.all(sessions.splice(0).map((s) => s.disconnect().catch(() => undefined)));
    await killAll(cx.nodes);
    cx.nodes = [];
  });
  return cx;
}

/** A client's connection ID ('' before it joined). */
export const idOf = (s: Session): string => s.connection?.connectionId ?? '';

/** The node's /readyz status. */
export async function readyz(node: ParleyProcess): Promise<number> {
  return (await fetch(`${node.url}/readyz`)).status;
}
