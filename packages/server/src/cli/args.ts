/** What every `parley` subcommand shares: usage errors, the environment, named settings. */

/** A mistake of the user's (a flag, a variable, a missing data dir): one line, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The subcommand whose `--help` the user should read, if any. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** An environment variable; empty counts as unset. The CLI is the only place that reads them. */
export function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** A setting's value and where it came from, so an error names the flag or the variable. */
export interface Setting {
  readonly value: string;
  /** `--port`, `PARLEY_PORT` or `the default`. */
  readonly from: string;
}

/**
 * A flag wins over its environment variable, which wins over the default.
 * @example setting('port', values.port, 'PARLEY_PORT', '8720') // { value: 'abc', from: 'PARLEY_PORT' }
 */
export function setting(flag: string, flagValue: string | undefined, variable: string, fallback: string): Setting {
  if (flagValue !== undefined) return { value: flagValue, from: `--${flag}` };
  const v = env(variable);
  if (v !== undefined) return { value: v, from: variable };
  return { value: fallback, from: 'the default' };
}

/** The data dir: `--data-dir`, else `PARLEY_DATA_DIR`, else the default. */
export function dataDirSetting(flagValue: string | undefined, fallback: string): Setting {
  return setting('data-dir', flagValue, 'PARLEY_DATA_DIR', fallback);
}

/** True for `1`, `true`, `yes` (any case); false when unset; a usage error otherwise. */
export function booleanVariable(name: string): boolean {
  const v = env(name);
  if (v === undefined) return false;
  if (/^(1|true|yes)$/i.test(v)) return true;
  if (/^(0|false|no)$/i.test(v)) return false;
  throw new UsageError(`${name} must be 1 or 0; got ${v}`);
}

/** Quote for a POSIX shell when needed, so a printed command can be pasted as is. */
export function shellArg(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}
