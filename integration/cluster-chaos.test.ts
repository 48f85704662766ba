/**
 * The short cluster chaos run inside `npm test` (the long one: `npm run chaos -- --bus cluster
 * --cycles 120`; docs/RELIABILITY.md §Node kills and Redis restarts): three `parley serve --redis`
 * processes on a private redis-server, three clients whose networks fail at random, and each
 * server fault once among their cycles: a node killed, a node drained, Redis restarted with its
 * data, Redis restarted empty. Nothing may be lost, duplicated or reordered; an explicit failure
 * (1022, then a new join) is allowed where recovery is impossible, and counted.
 */
import { describe, expect, it } from 'vitest';
import { formatClusterChaosTable, runClusterChaos } from '@parley/testkit';

describe('chaos over a cluster of processes', () => {
  it('3 nodes, 3 clients, 15 network fault cycles, a kill, a drain and two Redis restarts: nothing lost, duplicated or reordered', async () => {
    const log: string[] = [];
    const result = await runClusterChaos({
      nodes: 3,
      clients: 3,
      cycles: 15,
      messagesPerCycle: 6,
      serverFaultEvery: 3,
      serverFaults: ['kill', 'drain', 'redis', 'redisEmpty'],
      seed: 20261202,
      maxSeconds: 100,
      log: (line) => log.push(line),
    });
    const report = `${formatClusterChaosTable(result)}\n${result.failures.join('\n')}\n${log.join('\n')}`;
    expect(result.failures, report).toEqual([]);
    expect(result.timedOut, report).toBe(false);
    expect(result.cycles, report).toBe(15);
    expect(result.serverFaults, report).toEqual({ kill: 1, drain: 1, redis: 1, redisEmpty: 1 });
    expect(result.lost, report).toBe(0);
    expect(result.duplicated, report).toBe(0);
    expect(result.reordered, report).toBe(0);
    expect(result.signalsUnresolved, report).toBe(0);
    // Redis restarted empty ends every client's life explicitly; each joined again.
    expect(result.explicitFailures, report).toBeGreaterThanOrEqual(3);
    expect(result.resumesSameNode + result.resumesOtherNode, report).toBeGreaterThan(0);
  }, 170_000);
});
