/**
 * Where each setting's value comes from: a flag wins over its `PARLEY_*` variable, which wins
 * over the JSON config file (`--config FILE` or `PARLEY_CONFIG`), which wins over the default.
 * Every value is checked here, before anything starts, and a bad one is one line naming where it
 * came from: `--port`, `PARLEY_PORT`, `parley.json: port`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from '../args.js';
import { CONFIG_ENV, CONFIG_FLAG, SETTINGS } from './registry.js';
import { ValueError, shown, type AnySetting, type RawValue } from './setting.js';
import { didYouMean } from './suggest.js';

/** Where a value came from. */
export type SourceKind = 'flag' | 'env' | 'file' | 'default';

/** One setting's effective value. */
export interface ResolvedSetting {
  readonly spec: AnySetting;
  /** The parsed value; undefined when unset (no source and no default). */
  readonly value: unknown;
  readonly source: SourceKind;
  /** `--port`, `PARLEY_PORT`, `parley.json: port` or `the default`: what a message names. */
  readonly from: string;
}

/** The effective configuration of one start. */
export interface Config {
  /** The config file as given (`--config` or `PARLEY_CONFIG`), if any. */
  readonly file: string | undefined;
  /** Settings in registry order. */
  readonly settings: readonly ResolvedSetting[];
  /** Things worth a warning that are not errors (an unknown `PARLEY_*` variable). */
  readonly warnings: readonly string[];
  /** The setting of a registry name (throws for a name not in the registry). */
  get(name: string): ResolvedSetting;
}

/** Variables of the test scripts, not of the server: never warned about. */
const NOT_SETTINGS = /^PARLEY_TEST_/;

/**
 * parseArgs options for every registry flag plus `--config` and `--help`.
 * @param extra - a command's own flags
 */
export function flagOptions(extra: Record<string, { type: 'string' | 'boolean'; short?: string }> = {}) {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    [CONFIG_FLAG]: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    ...extra,
  };
  for (const s of SETTINGS) options[s.flag] = { type: s.kind };
  return options;
}

/** Parse a command line of registry flags (parseArgs errors propagate: the CLI prints them as usage errors). */
export function parseFlags(args: string[]): Record<string, string | boolean | undefined> {
  return parseArgs({ args, options: flagOptions(), allowPositionals: false }).values;
}

function readConfigFile(path: string, from: string, command: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not allowed to read it' : String(err);
    throw new UsageError(`config file ${path} (${from}): ${why}`, command);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`, command);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`${path}: must hold one JSON object of settings, e.g. {"port": 8720}`, command);
  const keys = SETTINGS.map((s) => s.key);
  for (const key of Object.keys(parsed)) {
    if (!keys.includes(key)) {
      const hint = didYouMean(key, keys) || ` (the keys: ${keys.join(', ')})`;
      throw new UsageError(`${path}: unknown key "${key}"${hint}`, command);
    }
  }
  return parsed as Record<string, unknown>;
}

function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  const known = [CONFIG_ENV, ...SETTINGS.map((s) => s.env)];
  return Object.keys(env)
    .filter((k) => k.startsWith('PARLEY_') && !known.includes(k) && !NOT_SETTINGS.test(k))
    .map((k) => `${k} is not a Parley setting${didYouMean(k, known)}; ignored`);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

function resolveOne(
  spec: AnySetting,
  flag: string | boolean | undefined,
  env: NodeJS.ProcessEnv,
  file: { path: string; values: Record<string, unknown> } | undefined,
  command: string,
): ResolvedSetting {
  let raw: RawValue | undefined;
  let source: SourceKind = 'default';
  let from = 'the default';
  const variable = nonEmpty(env[spec.env]);
  if (flag !== undefined) [raw, source, from] = [flag, 'flag', `--${spec.flag}`];
  else if (variable !== undefined) [raw, source, from] = [variable, 'env', spec.env];
  else if (file !== undefined && file.values[spec.key] !== undefined)
    [raw, source, from] = [file.values[spec.key] as RawValue, 'file', `${file.path}: ${spec.key}`];
  if (raw === undefined) return { spec, value: spec.default(), source, from };
  try {
    return { spec, value: spec.parse(raw), source, from };
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    throw new UsageError(`${from} ${err.message}; got ${shown(raw, spec.secret)}`, command);
  }
}

/**
 * Resolve every setting of the registry.
 * @param flags - parsed flags (from {@link parseFlags})
 * @param env - the environment (the CLI passes process.env; tests pass their own)
 * @param command - the subcommand whose `--help` a mistake points at
 * @throws UsageError naming the flag, variable or file key at fault
 */
export function loadConfig(
  flags: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
  command = 'serve',
): Config {
  const fileFlag = flags[CONFIG_FLAG];
  const fileVar = nonEmpty(env[CONFIG_ENV]);
  const path = typeof fileFlag === 'string' ? fileFlag : fileVar;
  const file =
    path === undefined
      ? undefined
      : { path, values: readConfigFile(path, typeof fileFlag === 'string' ? `--${CONFIG_FLAG}` : CONFIG_ENV, command) };
  const settings = SETTINGS.map((spec) => resolveOne(spec, flags[spec.flag], env, file, command));
  const byName = new Map(settings.map((s) => [s.spec.name, s]));
  return {
    file: path,
    settings,
    warnings: unknownVariables(env),
    get(name) {
      const s = byName.get(name);
      if (s === undefined) throw new Error(`no setting named ${name}`);
      return s;
    },
  };
}

/**
 * The createServer options of the rows that name one (`option`), nested by their dotted paths.
 * Unset values are left out, so createServer applies its own defaults.
 * @example registryOptions(config) // { port: 8720, host: '127.0.0.1', dataDir: './.parley', drain: 'service' }
 */
export function registryOptions(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of config.settings) {
    if (s.spec.option === undefined || s.value === undefined) continue;
    const path = s.spec.option.split('.');
    let at = out;
    for (const part of path.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[path[path.length - 1] as string] = s.value;
  }
  return out;
}
