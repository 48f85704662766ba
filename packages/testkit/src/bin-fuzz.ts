#!/usr/bin/env node
/**
 * `npm run fuzz -- --seconds 300 --seed 1 [--concurrency 16] [--max-rss-mb 512]`: run
 * {@link runFuzz} and print the counts. Exits 1 on a crash, an unexpected answer, a server error
 * line, an honest message lost / duplicated / reordered, an honest failure, or peak RSS over the
 * bound; 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { FUZZ_MAX_RSS_MB, fuzzVerdict } from './fuzz/verdict.js';
import { formatFuzzTable, runFuzz } from './fuzz/run-fuzz.js';
import { integerFlag, usageError } from './bin-args.js';

const usage: (message: string) => never = usageError(
  'bin-fuzz [--seconds N] [--seed S] [--concurrency N] [--honest N] [--max-rss-mb N] [--quiet]',
);
const int = integerFlag(usage);

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        seconds: { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        honest: { type: 'string' },
        'max-rss-mb': { type: 'string' },
        quiet: { type: 'boolean' },
      },
    }));
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  const result = await runFuzz({
    seconds: int('seconds', values.seconds, 60, 1),
    seed: int('seed', values.seed, 1, 0),
    concurrency: int('concurrency', values.concurrency, 16, 1),
    honestClients: int('honest', values.honest, 4, 2),
    log: values.quiet === true ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  const maxRssMb = int('max-rss-mb', values['max-rss-mb'], FUZZ_MAX_RSS_MB, 1);
  process.stdout.write(`${formatFuzzTable(result)}\n`);
  const problems = fuzzVerdict(result, maxRssMb);
  for (const p of problems) process.stdout.write(`FAIL: ${p}\n`);
  process.stdout.write(problems.length === 0 ? `PASS (peak RSS bound ${maxRssMb} MiB)\n` : '');
  process.stdout.write('', () => process.exit(problems.length > 0 ? 1 : 0));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `fuzz run could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.stdout.write('', () => process.exit(2));
});
