/** The `--help` texts and `--version`. */
import { readFileSync } from 'node:fs';
import { CloseCode, ROLES } from '@parley/protocol';
import { DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT } from '../server-options.js';

/** The version of @parley/server (this package's package.json, two levels above dist/cli/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const SERVE = `Usage: parley serve [--port N] [--host H] [--data-dir DIR] [--api-key K --api-secret S] [--demo-credentials] [--drain service|node]

Start the server (default http://${DEFAULT_HOST}:${DEFAULT_PORT}) with its data in DIR (default ${DEFAULT_DATA_DIR},
made private: the directory 700, the database 600). With no --api-key and no project stored,
creates a development project and prints its key and secret.

  --port N             TCP port, 0 for any free one        env PARLEY_PORT       default ${DEFAULT_PORT}
  --host H             listen address                      env PARLEY_HOST       default ${DEFAULT_HOST}
  --data-dir DIR       where parley.db lives               env PARLEY_DATA_DIR   default ${DEFAULT_DATA_DIR}
  --api-key K          use your own project (with --api-secret; turns demo minting off)
  --api-secret S                                           env PARLEY_API_KEY / PARLEY_API_SECRET
  --demo-credentials   let the demo page mint tokens on a non-loopback --host (prints a warning)
                                                           env PARLEY_DEMO_CREDENTIALS=1
  --drain MODE         what SIGTERM means to clients: service (the service stops; close ${CloseCode.ServerShutdown})
                       or node (one node of several behind one URL stops; clients resume
                       elsewhere; close ${CloseCode.NodeDraining})      env PARLEY_DRAIN      default service
  -h, --help           this text

The demo page mints tokens for the development project only on a loopback bind (127.0.0.1,
::1, localhost) unless --demo-credentials is given. While running, the server writes its URL to
DIR/server.json (removed on a clean stop) so \`parley session create\` can reach it.
SIGTERM/SIGINT shut the server down gracefully (clients get close code ${CloseCode.ServerShutdown}, or
${CloseCode.NodeDraining} with --drain node).
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
  parley COMMAND --help             the options of a command
  parley --version                  the version

Environment (flags win): PARLEY_PORT, PARLEY_HOST, PARLEY_DATA_DIR, PARLEY_API_KEY,
PARLEY_API_SECRET, PARLEY_DEMO_CREDENTIALS, PARLEY_DRAIN.
`;

/** The help text of a command, or of the whole CLI. */
export function helpText(command?: string): string {
  if (command === 'serve') return SERVE;
  if (command === 'session') return SESSION;
  if (command === 'token') return TOKEN;
  return MAIN;
}
