/** "Did you mean …?" for a misspelt config key or variable name. */

/** Edits from a to b: insertions, deletions, substitutions and swaps of neighbours (optimal string alignment). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(at(i, j), at(i - 2, j - 2) + 1);
    }
  }
  return at(a.length, b.length);
}

const fold = (s: string) => s.toLowerCase().replace(/[-_]/g, '');

/**
 * The known name closest to `wrong`, if it is close: the same letters in another case or with
 * other separators (`data-dir` for `dataDir`), or at most a third of its letters edited.
 * @example closest('prot', ['port', 'host']) // 'port'
 */
export function closest(wrong: string, known: readonly string[]): string | undefined {
  const same = known.find((k) => fold(k) === fold(wrong));
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(wrong.length / 3)) + 1;
  for (const k of known) {
    const d = distance(fold(wrong), fold(k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean "port"?)`, or nothing. */
export function didYouMean(wrong: string, known: readonly string[]): string {
  const hit = closest(wrong, known);
  return hit === undefined ? '' : ` (did you mean "${hit}"?)`;
}
