/** The `--help` texts and `--version`. */
import { readFileSync } from 'node:fs';
import { CloseCode, ROLES } from '@parley/protocol';
import { DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT } from '../server-options.js';
import { CONFIG_ENV, SETTINGS } from './config/registry.js';
import type { AnySetting } from './config/setting.js';

/** The version of @parley/server (this package's package.json, two levels above dist/cli/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The flag column of a row: `--port N`. */
function flagText(s: AnySetting): string {
  return `--${s.flag}${s.metavar === undefined ? '' : ` ${s.metavar}`}`;
}

/** The settings' lines of `parley serve --help`, from the registry. */
function settingLines(): string {
  const w = Math.max(...SETTINGS.map((s) => flagText(s).length), '--config FILE'.length);
  const lines = SETTINGS.map(
    (s) =>
      `  ${flagText(s).padEnd(w)}  ${s.doc}\n  ${''.padEnd(w)}    env ${s.env}, file "${s.key}", default ${s.defaultText}`,
  );
  lines.push(
    `  ${'--config FILE'.padEnd(w)}  a JSON file of settings (keys above)\n  ${''.padEnd(w)}    env ${CONFIG_ENV}`,
    `  ${'-h, --help'.padEnd(w)}  this text`,
  );
  return lines.join('\n');
}

const SERVE =
  () => `Usage: parley serve [--config FILE] [--port N] [--host H] [--data-dir DIR] [--api-key K --api-secret S] [more options]

Start the server (default http://${DEFAULT_HOST}:${DEFAULT_PORT}) with its data in DIR (default ${DEFAULT_DATA_DIR},
made private: the directory 700, the database 600). With no --api-key and no project stored,
creates a development project and prints its key and secret (the secret on that first start only).

Each setting comes from its flag, else its environment variable, else the config file, else
its default. \`parley config check\` prints where each value comes from.

${settingLines()}

The demo page mints tokens for the development project only on a loopback bind (127.0.0.1,
::1, localhost) unless --demo-credentials is given. While running, the server writes its URL to
DIR/server.json (removed on a clean stop) so \`parley session create\` can reach it.
SIGTERM/SIGINT shut the server down gracefully (clients get close code ${CloseCode.ServerShutdown}, or
${CloseCode.NodeDraining} with --drain node). SIGHUP re-reads --tls-cert and --tls-key.
`;

const CONFIG = `Usage: parley config check [--config FILE] [any parley serve option]

Check the configuration \`parley serve\` would start with, without starting it: every value,
the pairs that go together and the TLS files. Prints each setting's effective value and where it
comes from (flag, environment variable, config file key or default); secrets show as (set).
Exit status 0 when valid; a mistake is one line naming where the bad value came from, status 2.

  --config FILE    a JSON file of settings              env ${CONFIG_ENV}
  -h, --help       this text
`;

const SESSION = `Usage: parley session create [--relayed] [--data-dir DIR] [--api-key K]

Create a session through the running server (the one that uses DIR, found through
DIR/server.json) and print its ID. Reads the project from DIR without writing to it; never
creates a project. The server must be running: start it with \`npm start\` or \`parley serve\`.

  --relayed        a relayed session (default: routed)
  --data-dir DIR   the server's data dir                   env PARLEY_DATA_DIR   default ${DEFAULT_DATA_DIR}
  --api-key K      the project (default: the one the server printed)   env PARLEY_API_KEY
  -h, --help       this text
`;

const TOKEN = `Usage: parley token SESSION_ID [--role R] [--data D] [--ttl SECONDS] [--format jwt|t1] [--data-dir DIR]

Print a client token for a session of DIR, signed with the secret of the project that owns it.
Reads DIR without writing to it; the server need not be running.

  --role R         ${ROLES.join(', ')} (default publisher)
  --data D         connection data the others see (e.g. name=Alice)
  --ttl SECONDS    lifetime (default 86400)
  --format F       jwt (default) or t1 (the legacy format)
  --data-dir DIR   the server's data dir                   env PARLEY_DATA_DIR   default ${DEFAULT_DATA_DIR}
  -h, --help       this text
`;

const MAIN = `parley: a self-hosted, OpenTok-compatible realtime session server

Usage:
  parley serve [options]            start the server
  parley session create [options]   create a session through the running server, print its ID
  parley token SESSION_ID [options] print a client token for a session
  parley config check [options]     check the configuration, print each value and its source
  parley COMMAND --help             the options of a command
  parley --version                  the version

Settings (parley serve --help): a flag wins over its PARLEY_* environment variable, which wins
over the JSON config file (--config FILE or PARLEY_CONFIG), which wins over the default.
`;

/** The help text of a command, or of the whole CLI. */
export function helpText(command?: string): string {
  if (command === 'serve') return SERVE();
  if (command === 'config') return CONFIG;
  if (command === 'session') return SESSION;
  if (command === 'token') return TOKEN;
  return MAIN;
}
