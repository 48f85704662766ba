/**
 * `parley config check [--config FILE] [serve flags]`: validate the configuration `parley serve`
 * would start with and print each setting's effective value and where it came from. Secrets
 * show as `(set)`. Exit status 0 when it is valid; a mistake is one line and status 2, as for
 * `parley serve`.
 */
import { UsageError } from '../args.js';
import { helpText } from '../help.js';
import { loadConfig, parseFlags, type Config, type ResolvedSetting } from './load.js';
import { checkRules } from './rules.js';
import { loadTlsFiles } from './tls-files.js';

/** A value as `config check` prints it: secrets never. */
export function displayValue(s: ResolvedSetting): string {
  if (s.value === undefined) return '(unset)';
  if (s.spec.secret === true) return '(set)';
  return typeof s.value === 'string' ? s.value : JSON.stringify(s.value);
}

/** The table `config check` prints: one line per setting, its value and its source. */
export function describeConfig(config: Config): string {
  const rows = config.settings.map((s) => [s.spec.name, displayValue(s), s.from] as const);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const head =
    config.file === undefined ? 'No config file (--config FILE or PARLEY_CONFIG).' : `Config file: ${config.file}`;
  const lines = rows.map(([name, value, from]) => `  ${name.padEnd(w0)}  ${value.padEnd(w1)}  ${from}`);
  return `${head}\nEffective settings (flag > environment > file > default):\n${lines.join('\n')}\n`;
}

/**
 * Validate everything `parley serve` validates before it listens (values, pairs, the TLS files)
 * and print the table.
 * @throws UsageError for the first mistake
 */
export function configCheck(args: string[]): void {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(helpText('config'));
    return;
  }
  if (sub !== 'check')
    throw new UsageError(`unknown command: parley config ${sub} (only: parley config check)`, 'config');
  const flags = parseFlags(rest);
  if (flags.help === true) {
    process.stdout.write(helpText('config'));
    return;
  }
  const config = loadConfig(flags, process.env, 'config');
  checkRules(config, 'config');
  loadTlsFiles(config, 'config');
  let out = describeConfig(config);
  for (const w of config.warnings) out += `warning: ${w}\n`;
  process.stdout.write(`${out}OK\n`);
}
