#!/usr/bin/env node
/**
 * The `parley` command. The only place that reads the environment.
 *
 *   parley serve [--port N] [--host H] [--data-dir DIR] [--api-key K --api-secret S] [--drain service|node]
 *   parley session create [--relayed] [--data-dir DIR] [--api-key K]
 *   parley token SESSION_ID [--role R] [--data D] [--ttl S] [--format jwt|t1] [--data-dir DIR]
 *
 * Env: PARLEY_PORT, PARLEY_HOST, PARLEY_DATA_DIR, PARLEY_API_KEY, PARLEY_API_SECRET, PARLEY_DRAIN
 * (flags win).
 * `serve` prints the URL and the API key and secret on every start when the project lives in the
 * data dir (a development convenience: the secret is in `DIR/parley.db` anyway); it does not echo
 * a secret given by flag or environment.
 */
import { parseArgs } from 'node:util';
import { CloseCode } from '@parley/protocol';
import { generateToken, mintSessionId } from '@parley/server-sdk';
import { createServer } from './create-server.js';
import { newDevProject } from './dev-project.js';
import { DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT } from './server-options.js';
import { openStore } from './store/open-store.js';
import type { Project, Store } from './store/store.js';

const HELP = `parley: a self-hosted, OpenTok-compatible realtime session server

Usage:
  parley serve [--port N] [--host H] [--data-dir DIR] [--api-key K --api-secret S] [--drain service|node]
      Start the server (default http://${DEFAULT_HOST}:${DEFAULT_PORT}, data in ${DEFAULT_DATA_DIR}).
      With no project configured and none stored, creates a development project and prints it.
      --drain node: this server is one node of several behind one URL; on SIGTERM its clients
      resume on another node (close code ${CloseCode.NodeDraining}) instead of ending (${CloseCode.ServerShutdown}, the default).
  parley session create [--relayed] [--data-dir DIR] [--api-key K]
      Create a session in the data dir's store and print its ID.
  parley token SESSION_ID [--role R] [--data D] [--ttl SECONDS] [--format jwt|t1] [--data-dir DIR]
      Print a client token for a session (signed with the secret of the project owning it).
      Roles: publisher (default), subscriber, publisheronly, moderator. Default ttl: 86400.
  parley --help

Environment (flags win): PARLEY_PORT, PARLEY_HOST, PARLEY_DATA_DIR, PARLEY_API_KEY, PARLEY_API_SECRET,
PARLEY_DRAIN.
SIGTERM/SIGINT shut the server down gracefully (clients get close code ${CloseCode.ServerShutdown}, or
${CloseCode.NodeDraining} with --drain node).
`;

class UsageError extends Error {}

const env = (name: string): string | undefined => {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
};

function shellArg(s: string): string {
  return /^[A-Za-z0-9_./:=-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

async function projectFor(store: Store, apiKey: string | undefined): Promise<Project> {
  if (apiKey !== undefined) {
    const p = await store.getProject(apiKey);
    if (p === undefined) throw new UsageError(`no project with API key ${apiKey} in the data dir`);
    return p;
  }
  const all = await store.listProjects();
  if (all[0] !== undefined) return all[0];
  const created = newDevProject();
  await store.putProject(created);
  return created;
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'api-key': { type: 'string' },
      'api-secret': { type: 'string' },
      drain: { type: 'string' },
    },
  });
  const drain = values.drain ?? env('PARLEY_DRAIN') ?? 'service';
  if (drain !== 'service' && drain !== 'node') throw new UsageError(`--drain must be service or node; got ${drain}`);
  const portText = values.port ?? env('PARLEY_PORT') ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    throw new UsageError(`--port must be an integer from 0 to 65535; got ${portText}`);
  const dataDir = values['data-dir'] ?? env('PARLEY_DATA_DIR') ?? DEFAULT_DATA_DIR;
  const apiKey = values['api-key'] ?? env('PARLEY_API_KEY');
  const apiSecret = values['api-secret'] ?? env('PARLEY_API_SECRET');
  if ((apiKey === undefined) !== (apiSecret === undefined))
    throw new UsageError('--api-key and --api-secret go together');

  const server = await createServer({
    port,
    host: values.host ?? env('PARLEY_HOST') ?? DEFAULT_HOST,
    dataDir,
    projects: apiKey !== undefined && apiSecret !== undefined ? [{ apiKey, apiSecret }] : [],
    log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
    // The demo page may mint credentials only for the development project the CLI manages.
    demo: apiKey === undefined,
    drain,
  });
  const dirFlag = dataDir === DEFAULT_DATA_DIR ? '' : ` --data-dir ${shellArg(dataDir)}`;
  const out: string[] = [`Parley listening on ${server.url} (WebSocket ${server.wsUrl})`];
  const project = server.projects[0];
  if (server.createdDevProject !== undefined) out.push('Created a development project (stored in the data dir):');
  if (project !== undefined) {
    out.push(`  API key:    ${project.apiKey}`);
    if (apiKey === undefined) out.push(`  API secret: ${project.apiSecret}`);
  }
  if (apiKey === undefined) out.push(`Demo page: ${server.url}/ (mints a session and a token for this project)`);
  out.push(
    'Create a session:',
    `  npx parley session create${dirFlag}`,
    'Mint a token for it:',
    `  npx parley token SESSION_ID --role publisher${dirFlag}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: shutting down\n`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
}

async function sessionCreate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { relayed: { type: 'boolean' }, 'data-dir': { type: 'string' }, 'api-key': { type: 'string' } },
  });
  const store = openStore(values['data-dir'] ?? env('PARLEY_DATA_DIR') ?? DEFAULT_DATA_DIR);
  try {
    const project = await projectFor(store, values['api-key'] ?? env('PARLEY_API_KEY'));
    const relayed = values.relayed === true;
    const sessionId = mintSessionId(project.apiKey, { relayed });
    await store.createSession({
      sessionId,
      apiKey: project.apiKey,
      mediaMode: relayed ? 'relayed' : 'routed',
      archiveMode: 'manual',
      location: '',
      e2ee: false,
      createdAt: Date.now(),
    });
    process.stdout.write(`${sessionId}\n`);
  } finally {
    await store.close();
  }
}

async function token(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      data: { type: 'string' },
      ttl: { type: 'string' },
      format: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const sessionId = positionals[0];
  if (sessionId === undefined || positionals.length > 1)
    throw new UsageError('usage: parley token SESSION_ID [options]');
  const ttl = Number(values.ttl ?? '86400');
  if (!Number.isSafeInteger(ttl) || ttl <= 0)
    throw new UsageError(`--ttl must be a positive number of seconds; got ${values.ttl}`);
  const format = values.format ?? 'jwt';
  if (format !== 'jwt' && format !== 't1') throw new UsageError(`--format must be jwt or t1; got ${format}`);
  const store = openStore(values['data-dir'] ?? env('PARLEY_DATA_DIR') ?? DEFAULT_DATA_DIR);
  try {
    const session = await store.getSession(sessionId);
    if (session === undefined) throw new UsageError('unknown session (not in this data dir)');
    const project = await store.getProject(session.apiKey);
    if (project === undefined) throw new UsageError(`the project ${session.apiKey} of this session is missing`);
    const expireTime = Math.floor(Date.now() / 1000) + ttl;
    const opts = { role: values.role ?? 'publisher', data: values.data ?? '', expireTime };
    process.stdout.write(`${generateToken(project.apiKey, project.apiSecret, sessionId, opts, format)}\n`);
  } finally {
    await store.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (command === 'serve') return serve(rest);
  if (command === 'session' && rest[0] === 'create') return sessionCreate(rest.slice(1));
  if (command === 'token') return token(rest);
  throw new UsageError(`unknown command: ${argv.join(' ')}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const usage =
    err instanceof UsageError ||
    (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'));
  process.stderr.write(
    `parley: ${err instanceof Error ? err.message : String(err)}\n${usage ? 'Run parley --help for usage.\n' : ''}`,
  );
  process.exit(usage ? 2 : 1);
});
