/**
 * Rules between settings (each value alone was checked by its row's parser): pairs that go
 * together. A broken rule names where each half came from.
 */
import { UsageError } from '../args.js';
import type { Config, ResolvedSetting } from './load.js';

/** The ways a setting can be given, for a message about a missing one. */
function ways(s: ResolvedSetting): string {
  return `--${s.spec.flag}, ${s.spec.env} or "${s.spec.key}" in the config file`;
}

/** Both or neither: `a` set (from somewhere) and `b` not is one line naming both. */
function together(config: Config, a: string, b: string, command: string): void {
  const x = config.get(a);
  const y = config.get(b);
  if ((x.value === undefined) === (y.value === undefined)) return;
  const [set, unset] = x.value !== undefined ? [x, y] : [y, x];
  throw new UsageError(
    `${set.spec.name} is set (${set.from}) but ${unset.spec.name} is not: give ${ways(unset)}`,
    command,
  );
}

/**
 * Check the rules between settings.
 * @throws UsageError for the first broken rule
 */
export function checkRules(config: Config, command = 'serve'): void {
  together(config, 'api-key', 'api-secret', command);
  together(config, 'tls-cert', 'tls-key', command);
  const workers = config.get('workers');
  const redis = config.get('redis');
  if (typeof workers.value === 'number' && workers.value > 1 && redis.value === undefined)
    throw new UsageError(
      `workers ${workers.value} (${workers.from}) needs redis: the workers share their sessions through it; give ${ways(redis)}`,
      command,
    );
  const demo = config.get('demo-credentials');
  const apiKey = config.get('api-key');
  if (demo.value === true && apiKey.value !== undefined)
    throw new UsageError(
      `demo-credentials (${demo.from}) mints for the development project only; not with api-key (${apiKey.from})`,
      command,
    );
}
