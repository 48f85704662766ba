import { describe, expect, it } from 'vitest';
import { DeliveryChecker, prng } from '@parley/testkit';

describe('DeliveryChecker', () => {
  it('counts a clean exchange as complete, nothing lost, duplicated or reordered', () => {
    const c = new DeliveryChecker(['a', 'b']);
    for (let i = 0; i < 3; i++) c.sent('a');
    for (const r of ['a', 'b']) for (const n of [1, 2, 3]) c.received(r, 'a', n);
    expect(c.complete()).toBe(true);
    expect(c.counts()).toEqual({ sent: 3, expected: 6, delivered: 6, lost: 0, duplicated: 0, reordered: 0 });
  });

  it('counts a duplicate, a reordering and a loss, and names what is missing', () => {
    const c = new DeliveryChecker(['a', 'b']);
    for (let i = 0; i < 3; i++) c.sent('a');
    c.received('b', 'a', 1);
    c.received('b', 'a', 1); // duplicate
    c.received('b', 'a', 3);
    c.received('b', 'a', 2); // reordered
    c.received('a', 'a', 1); // a never gets its own 2 and 3
    expect(c.complete()).toBe(false);
    expect(c.counts()).toMatchObject({ delivered: 4, lost: 2, duplicated: 1, reordered: 1 });
    expect(c.missing()).toEqual(['a←a: 2 missing (has 1 of 3, highest #1)']);
    expect(c.anomalies).toHaveLength(2);
  });
});

describe('prng', () => {
  it('is deterministic per seed and stays in range', () => {
    const a = prng(42);
    const b = prng(42);
    const xs = Array.from({ length: 100 }, () => a.int(3, 7));
    expect(Array.from({ length: 100 }, () => b.int(3, 7))).toEqual(xs);
    expect(Math.min(...xs)).toBe(3);
    expect(Math.max(...xs)).toBe(7);
    expect(prng(1).next()).not.toBe(prng(2).next());
    expect(prng(5).pick([['only', 1]])).toBe('only');
  });
});
