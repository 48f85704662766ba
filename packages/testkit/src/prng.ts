/**
 * A small seeded pseudo-random generator (mulberry32), so a chaos run's choices of whom to break,
 * how and for how long are the same for the same seed.
 */

/** A seeded source of numbers in [0, 1), with helpers. */
export interface Prng {
  /** A number in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** One of `items`, chosen with the given relative weights. */
  pick<T>(items: readonly (readonly [T, number])[]): T;
}

/**
 * mulberry32 by Tommy Ettinger (public domain): 32 bits of state, good enough to drive tests.
 * @example
 * const rng = prng(42);
 * rng.int(1, 6); // the same every run with seed 42
 */
export function prng(seed: number): Prng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick<T>(items: readonly (readonly [T, number])[]): T {
      const total = items.reduce((sum, [, w]) => sum + w, 0);
      let r = next() * total;
      for (const [item, w] of items) {
        if ((r -= w) < 0) return item;
      }
      const last = items[items.length - 1];
      if (last === undefined) throw new RangeError('pick() needs at least one item');
      return last[0];
    },
  };
}
