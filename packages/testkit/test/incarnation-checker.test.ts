import { describe, expect, it } from 'vitest';
import { IncarnationChecker } from '../src/incarnation-checker.js';

/** a#1 and b#1 live; each sends `k` messages and both receive everything. */
function pair(k: number): IncarnationChecker {
  const c = new IncarnationChecker();
  c.begin('a#1');
  c.begin('b#1');
  for (let i = 0; i < k; i++) {
    for (const s of ['a#1', 'b#1']) {
      const n = c.sent(s);
      c.acknowledged(s, n);
      c.received('a#1', s, n);
      c.received('b#1', s, n);
    }
  }
  return c;
}

describe('IncarnationChecker', () => {
  it('counts like the delivery checker while nobody fails', () => {
    const c = pair(3);
    expect(c.counts()).toEqual({ sent: 6, expected: 12, delivered: 12, lost: 0, duplicated: 0, reordered: 0 });
    expect(c.complete()).toBe(true);
    c.sent('a#1');
    expect(c.complete()).toBe(false);
    expect(c.missing()).toEqual(['a#1←a#1: 1 missing of 1..4', 'b#1←a#1: 1 missing of 1..4']);
    c.received('b#1', 'a#1', 4);
    c.received('b#1', 'a#1', 4);
    expect(c.counts()).toMatchObject({ lost: 1, duplicated: 1 });
  });

  it('an explicit failure cuts a stream off: what the failed one missed after its last arrival is not lost, a hole is', () => {
    const c = pair(2);
    // b#1 fails; a#1 keeps sending: b#1 got #3 only.
    for (let i = 0; i < 3; i++) c.acknowledged('a#1', c.sent('a#1'));
    c.received('a#1', 'a#1', 3);
    c.received('a#1', 'a#1', 4);
    c.received('a#1', 'a#1', 5);
    c.received('b#1', 'a#1', 3);
    c.failed('b#1');
    expect(c.counts().lost).toBe(0);
    c.received('b#1', 'a#1', 5); // after a hole at 4: #4 is lost to it
    expect(c.counts().lost).toBe(1);
  });

  it("a failed sender's acknowledged messages must reach every live receiver; its unacknowledged ones may not, unless one live receiver got them", () => {
    const c = pair(1);
    c.acknowledged('b#1', c.sent('b#1')); // #2 acknowledged
    c.sent('b#1'); // #3 never acknowledged
    c.sent('b#1'); // #4 never acknowledged
    c.failed('b#1');
    expect(c.counts().lost).toBe(1); // a#1 lacks #2 (b#1's own echo is cut off)
    c.received('a#1', 'b#1', 2);
    expect(c.counts().lost).toBe(0);
    c.begin('c#1');
    c.received('a#1', 'b#1', 4); // reached a live receiver: #3 is then required too
    expect(c.counts()).toMatchObject({ lost: 1 });
  });

  it('a new incarnation must get what was sent after it joined; earlier ones are optional but contiguous', () => {
    const c = pair(2);
    c.failed('b#1');
    c.begin('b#2');
    c.sent('a#1'); // #3, after b#2 joined
    c.received('b#2', 'a#1', 3);
    c.received('a#1', 'a#1', 3);
    expect(c.counts().lost).toBe(0);
    const d = pair(2);
    d.sent('a#1'); // #3 in flight when b#2 joins
    d.failed('b#1');
    d.begin('b#2');
    d.sent('a#1'); // #4
    d.received('a#1', 'a#1', 3);
    d.received('a#1', 'a#1', 4);
    d.received('b#2', 'a#1', 4);
    expect(d.counts().lost).toBe(0); // #3 was optional for b#2
    expect(d.isFailed('b#1')).toBe(true);
  });
});
