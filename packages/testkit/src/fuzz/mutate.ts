/**
 * Seeded mutations of valid inputs (frames, tokens, query strings, bodies): the inputs a fuzzer
 * learns most from are nearly right. Deterministic for a seed (testkit's prng).
 */
import type { Prng } from '../prng.js';

/** Fragments that break JSON, the framing or a parser's assumptions when spliced in. */
const SPLICES: readonly string[] = [
  '"',
  '\\',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '\n',
  '\n\n',
  'null',
  'true',
  '-0',
  '1e309',
  '9007199254740993',
  '-1',
  '0.5',
  '"t":"signal"',
  '"s":',
  '\u0000',
  '\ud800',
  '\u2028',
  '\ufeff',
  '%',
  '%zz',
  '&',
  '=',
  '.',
  '==',
  'A'.repeat(300),
];

/** One random edit of `input`: flip, delete, duplicate, splice, truncate or swap halves. */
export function mutateOnce(rng: Prng, input: string): string {
  const n = input.length;
  const at = rng.int(0, n);
  switch (rng.int(0, 6)) {
    case 0: {
      // Replace one character with a random code unit.
      if (n === 0) return String.fromCharCode(rng.int(0, 0xffff));
      const i = Math.min(at, n - 1);
      return input.slice(0, i) + String.fromCharCode(rng.int(0, 0xffff)) + input.slice(i + 1);
    }
    case 1:
      return input.slice(0, at) + input.slice(Math.min(n, at + rng.int(1, 16)));
    case 2: {
      const end = Math.min(n, at + rng.int(1, 32));
      return input.slice(0, end) + input.slice(at, end) + input.slice(end);
    }
    case 3:
      return input.slice(0, at) + (SPLICES[rng.int(0, SPLICES.length - 1)] as string) + input.slice(at);
    case 4:
      return input.slice(0, at);
    case 5:
      return input.slice(at) + input.slice(0, at);
    default: {
      // Flip the case of a letter, or a digit to another: near-valid tokens and IDs.
      if (n === 0) return input;
      const i = Math.min(at, n - 1);
      const c = input[i] as string;
      const d = /\d/.test(c) ? String((Number(c) + 1) % 10) : c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
      return input.slice(0, i) + d + input.slice(i + 1);
    }
  }
}

/** 1..`max` edits in a row. */
export function mutate(rng: Prng, input: string, max = 3): string {
  let out = input;
  for (let i = rng.int(1, max); i > 0; i--) out = mutateOnce(rng, out);
  return out;
}
