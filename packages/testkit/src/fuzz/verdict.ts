/**
 * What makes a fuzz run fail, in one place for the CLI and the test.
 */
import type { FuzzResult } from './run-fuzz.js';

/**
 * The stated bound on the server's peak RSS under fuzzing, MiB: a few hundred sockets, 2 MiB
 * bodies refused at the cap and the SQLite store stay well inside it (docs/RELIABILITY.md §Fuzzing).
 */
export const FUZZ_MAX_RSS_MB = 512;

/**
 * The problems of a run; empty when it passed.
 * @example if (fuzzVerdict(result).length > 0) process.exitCode = 1;
 */
export function fuzzVerdict(r: FuzzResult, maxRssMb = FUZZ_MAX_RSS_MB): string[] {
  const problems: string[] = [];
  if (r.crashes > 0) problems.push(`the server crashed ${r.crashes} time(s)`);
  if (r.unexpected > 0) problems.push(`${r.unexpected} unexpected answer(s): ${r.unexpectedSamples.join('; ')}`);
  if (r.serverErrors > 0) problems.push(`${r.serverErrors} server error line(s): ${r.serverErrorSamples.join('; ')}`);
  const { lost, duplicated, reordered } = r.honest;
  if (lost + duplicated + reordered > 0) {
    problems.push(`honest messages lost ${lost}, duplicated ${duplicated}, reordered ${reordered}`);
  }
  if (r.honestFailures.length > 0) problems.push(`honest failures: ${r.honestFailures.join('; ')}`);
  if (r.honest.sent === 0) problems.push('the honest clients sent nothing');
  if (r.peakRss > maxRssMb * 1024 * 1024) {
    problems.push(`peak RSS ${(r.peakRss / 1048576).toFixed(1)} MiB is over the ${maxRssMb} MiB bound`);
  }
  return problems;
}
