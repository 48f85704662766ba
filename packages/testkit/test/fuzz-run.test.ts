/**
 * The short fuzz run inside `npm test`: a few seconds of random and mutated frames, handshakes,
 * truncated upgrades and REST requests against a real server in a child process, while honest
 * SDK clients exchange signals. No crash, no unexpected answer, no server error line, no honest
 * message lost, duplicated or reordered, peak RSS within the stated bound. (`npm run fuzz` is the
 * long one; docs/RELIABILITY.md §Fuzzing.)
 */
import { describe, expect, it } from 'vitest';
import { ATTACK_KINDS } from '../src/fuzz/attacks.js';
import { formatFuzzTable, fuzzVerdict, runFuzz } from '@parley/testkit';

describe('the short fuzz run', () => {
  it('finds nothing wrong in a few seconds', async () => {
    const result = await runFuzz({ seconds: 4, seed: 1, concurrency: 8, honestClients: 3 });
    const table = formatFuzzTable(result);
    expect(fuzzVerdict(result), table).toEqual([]);
    for (const kind of ATTACK_KINDS) expect(result.attempts[kind], `${kind} attempts\n${table}`).toBeGreaterThan(0);
    expect(result.honest.delivered).toBe(result.honest.expected);
  }, 90_000);
});
