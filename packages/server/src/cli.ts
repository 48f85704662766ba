#!/usr/bin/env node
/**
 * The `parley` command (bin: packages/server/bin/parley.js). The only place that reads the
 * environment. `parley --help` and `parley COMMAND --help` list the commands and their flags.
 *
 *   parley serve [--config FILE] [--port N] [--host H] [--data-dir DIR] [--api-key K --api-secret S] [… parley serve --help]
 *   parley config check [--config FILE] [serve flags]
 *   parley session create [--relayed] [--data-dir DIR] [--api-key K]
 *   parley token SESSION_ID [--role R] [--data D] [--ttl S] [--format jwt|t1] [--data-dir DIR]
 *
 * A user's mistake is one line on stderr and exit status 2; anything else exits 1.
 */
import { UsageError } from './cli/args.js';
import { helpText, version } from './cli/help.js';
import { configCheck } from './cli/config/check.js';
import { serve } from './cli/serve.js';
import { sessionCreate, token } from './cli/sessions.js';

const HELP_FLAGS = new Set(['--help', '-h', 'help']);

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || HELP_FLAGS.has(command)) {
    process.stdout.write(helpText(command === 'help' ? rest[0] : undefined));
    return;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`${version()}\n`);
    return;
  }
  if (command === 'serve') return serve(rest);
  if (command === 'config') {
    configCheck(rest);
    return;
  }
  if (command === 'token') {
    token(rest);
    return;
  }
  if (command === 'session') {
    if (rest[0] === 'create') return sessionCreate(rest.slice(1));
    if (rest[0] === undefined || HELP_FLAGS.has(rest[0])) {
      process.stdout.write(helpText('session'));
      return;
    }
    throw new UsageError(`unknown command: parley session ${rest[0]} (only: parley session create)`, 'session');
  }
  throw new UsageError(`unknown command: ${command}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const parseError = err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS');
  const usage = err instanceof UsageError || parseError;
  const command = err instanceof UsageError ? err.command : parseError ? process.argv[2] : undefined;
  const hint = usage ? ` (parley ${command !== undefined ? `${command} ` : ''}--help)` : '';
  process.stderr.write(`parley: ${err instanceof Error ? err.message : String(err)}${hint}\n`);
  process.exit(usage ? 2 : 1);
});
