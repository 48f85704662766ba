/**
 * One row of the configuration registry, and the parsers rows share. A row says where a setting
 * can come from (a `--flag`, a `PARLEY_*` variable, a key of the JSON config file), how its text
 * or JSON value is checked, its default and its documentation. Nothing here reads the
 * environment or a file: load.ts does.
 */

/** A value as given: text from a flag or a variable, JSON from the config file, `true` for a bare boolean flag. */
export type RawValue = string | number | boolean | null | readonly unknown[] | Record<string, unknown>;

/**
 * A bad value. The message is the predicate only (`must be an integer from 0 to 65535`); the
 * loader puts the source and the value around it: `PARLEY_PORT must be …; got abc`.
 */
export class ValueError extends Error {
  override readonly name = 'ValueError';
}

/** Which parseArgs type the flag has: a bare `--flag` (boolean) or `--flag VALUE` (string). */
export type FlagKind = 'boolean' | 'string';

/**
 * A registry row.
 * @typeParam T - the parsed value's type
 */
export interface SettingSpec<T = unknown> {
  /** The setting's name, as `parley config check` prints it (the flag without its dashes). */
  readonly name: string;
  /** The flag without its dashes: `port` for `--port`. */
  readonly flag: string;
  /** What `--help` shows after the flag, e.g. `N`; none for a boolean flag. */
  readonly metavar?: string;
  /** The environment variable, `PARLEY_…`. */
  readonly env: string;
  /** The key in the JSON config file (camelCase, like createServer's options). */
  readonly key: string;
  readonly kind: FlagKind;
  /** Check and convert a value, or throw a {@link ValueError}. */
  readonly parse: (raw: RawValue) => T;
  /** The default (computed at start when it depends on the machine, e.g. whether stderr is a terminal); undefined: unset. */
  readonly default: () => T | undefined;
  /** The default as the docs say it. */
  readonly defaultText: string;
  /** One line of documentation. */
  readonly doc: string;
  /** Never printed (`parley config check` shows `(set)`) and never logged. */
  readonly secret?: boolean;
  /**
   * The createServer option this value goes to unchanged (a dotted path for a nested one, e.g.
   * `httpTimeouts.headersTimeout`). Rows without one are wired by hand in serve.ts.
   */
  readonly option?: string;
}

/** A row with its type parameter erased, as the registry holds it. */
export type AnySetting = SettingSpec;

/** Define a row, keeping its value type for the parser and the default. */
export function defineSetting<T>(spec: SettingSpec<T>): SettingSpec<T> {
  return spec;
}

/**
 * A value shown in a message: secrets never; text as is; JSON otherwise.
 * @example shown('abc', false) // 'abc'
 */
export function shown(raw: RawValue, secret: boolean | undefined): string {
  if (secret === true) return '(a secret, not shown)';
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
}

/** A non-empty string (a flag or variable is text; a file value must be a JSON string). */
export function text(what = 'a non-empty string') {
  return (raw: RawValue): string => {
    if (typeof raw !== 'string' || raw === '') throw new ValueError(`must be ${what}`);
    return raw;
  };
}

/**
 * An integer in [min, max]: digits as text, or a JSON number.
 * @example integer(0, 65535)('8720') // 8720
 */
export function integer(min: number, max: number) {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  return (raw: RawValue): number => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new ValueError(`must be an integer ${range}`);
    return n;
  };
}

/** `1`/`true`/`yes` or `0`/`false`/`no` as text (any case), or a JSON boolean. */
export function boolean(raw: RawValue): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string' && /^(1|true|yes)$/i.test(raw)) return true;
  if (typeof raw === 'string' && /^(0|false|no)$/i.test(raw)) return false;
  throw new ValueError('must be 1 or 0 (or true or false)');
}

/**
 * One of a fixed list of words.
 * @example oneOf(['service', 'node'])('node') // 'node'
 */
export function oneOf<T extends string>(values: readonly T[]) {
  const list = values.length === 2 ? `${values[0]} or ${values[1]}` : `one of ${values.join(', ')}`;
  return (raw: RawValue): T => {
    if (typeof raw !== 'string' || !(values as readonly string[]).includes(raw))
      throw new ValueError(`must be ${list}`);
    return raw as T;
  };
}
