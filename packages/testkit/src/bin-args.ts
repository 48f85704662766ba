/** What the testkit's command-line tools (bin-chaos, bin-fuzz) share: usage errors and integer flags. */

/** A usage error: the message, then the synopsis, on stderr; exit status 2. */
export function usageError(synopsis: string): (message: string) => never {
  return (message) => {
    process.stderr.write(`${message}\nusage: ${synopsis}\n`);
    process.exit(2);
  };
}

/**
 * An integer flag's value (`fallback` when absent), or a usage error naming the flag.
 * @example const int = integerFlag(usage); int('cycles', values.cycles, 200, 1)
 */
export function integerFlag(
  usage: (message: string) => never,
): (name: string, value: string | undefined, fallback: number, min: number) => number {
  return (name, value, fallback, min) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min)
      usage(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    return n;
  };
}
