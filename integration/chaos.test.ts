/**
 * The short chaos run inside `npm test` (the long one is `npm run chaos -- --cycles 10000`):
 * four clients behind their own fault proxies signal each other while their networks are cut,
 * refused and black-holed at random inside the reconnect window. Every message must arrive exactly
 * once and in order at every receiver, the sender included, and every signal() must resolve.
 */
import { describe, expect, it } from 'vitest';
import { BUS_KINDS, formatChaosTable, runChaos } from '@parley/testkit';

describe.each(BUS_KINDS)('chaos over the %s bus', (bus) => {
  it('4 clients, 30 fault cycles: nothing lost, duplicated or reordered, every signal() resolved', async () => {
    const log: string[] = [];
    const result = await runChaos({
      clients: 4,
      cycles: 30,
      messagesPerCycle: 10,
      seed: 20240611,
      bus,
      log: (line) => log.push(line),
    });
    // The table is the failure message's context when something is off.
    const report = `${formatChaosTable(result)}\n${result.failures.join('\n')}`;
    expect(result.failures, report).toEqual([]);
    expect(result.cycles, report).toBe(30);
    expect(result.sent, report).toBe(30 * 10); // each cycle: 10 messages from the faulted client
    expect(result.lost, report).toBe(0);
    expect(result.duplicated, report).toBe(0);
    expect(result.reordered, report).toBe(0);
    expect(result.delivered, report).toBe(result.sent * 4);
    expect(result.signalsUnresolved, report).toBe(0);
    expect(result.resumes, report).toBeGreaterThan(0);
  }, 45_000);
});
