/** `parley serve`: check the port, start the server, print the banner, stop on a signal. */
import { createServer as createNetServer } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createServer } from '../create-server.js';
import { DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT } from '../server-options.js';
import { createStderrLogger } from '../log/logger.js';
import { DataDirError } from '../store/data-dir.js';
import { booleanVariable, dataDirSetting, env, setting, shellArg, UsageError, type Setting } from './args.js';
import { parleyCommand } from './command-name.js';
import { helpText } from './help.js';
import { localUrl, removeServerFile, writeServerFile } from './server-file.js';

/** Loopback addresses: a server bound there is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Whether the demo page may mint tokens, and the warning to print. Minting is for the development
 * project only (never with --api-key), and on a non-loopback bind only when asked for: anyone who
 * can reach the server could then join that project's sessions.
 * @example demoMode('0.0.0.0', undefined, false) // { demo: false, warning: undefined }
 */
export function demoMode(
  host: string,
  apiKey: string | undefined,
  forced: boolean,
): { demo: boolean; warning: string | undefined } {
  if (apiKey !== undefined) {
    if (forced)
      throw new UsageError('--demo-credentials mints for the development project only; not with --api-key', 'serve');
    return { demo: false, warning: undefined };
  }
  if (isLoopbackHost(host)) return { demo: true, warning: undefined };
  if (!forced) return { demo: false, warning: undefined };
  return {
    demo: true,
    warning: `WARNING: demo credentials are on while listening on ${host}: anyone who can reach this server can mint tokens for the development project's sessions`,
  };
}

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function listenError(err: unknown, host: string, port: Setting): UsageError | undefined {
  const code = errnoCode(err);
  const how = port.from === 'the default' ? '--port N' : `another ${port.from}`;
  if (code === 'EADDRINUSE')
    return new UsageError(`port ${port.value} on ${host} is in use (another server?): stop it or pick ${how}`, 'serve');
  if (code === 'EACCES')
    return new UsageError(
      `not allowed to listen on port ${port.value} on ${host}: pick ${how} (1024 or above)`,
      'serve',
    );
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new UsageError(`cannot listen on host ${host}: no such local address (--host)`, 'serve');
  return undefined;
}

/**
 * Fail on a busy port before anything is created: the data dir and the development project are
 * made only once the port is known to be free. (A server taking the port in between still gets
 * the same one-line error from createServer, with the data dir already made.) Port 0 is probed
 * too: that checks the host.
 */
function checkPort(host: string, port: Setting): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const probe = createNetServer();
    probe.once('error', (err) => {
      reject(listenError(err, host, port) ?? err);
    });
    probe.listen({ port: Number(port.value), host, exclusive: true }, () => {
      probe.close(() => {
        resolvePromise();
      });
    });
  });
}

export async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'api-key': { type: 'string' },
      'api-secret': { type: 'string' },
      'demo-credentials': { type: 'boolean' },
      drain: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(helpText('serve'));
    return;
  }
  const port = setting('port', values.port, 'PARLEY_PORT', String(DEFAULT_PORT));
  if (!/^\d{1,5}$/.test(port.value) || Number(port.value) > 65535)
    throw new UsageError(`${port.from} must be an integer from 0 to 65535; got ${port.value}`, 'serve');
  const host = setting('host', values.host, 'PARLEY_HOST', DEFAULT_HOST).value;
  const dataDir = dataDirSetting(values['data-dir'], DEFAULT_DATA_DIR).value;
  const apiKey = values['api-key'] ?? env('PARLEY_API_KEY');
  const apiSecret = values['api-secret'] ?? env('PARLEY_API_SECRET');
  if ((apiKey === undefined) !== (apiSecret === undefined))
    throw new UsageError('--api-key and --api-secret (or PARLEY_API_KEY and PARLEY_API_SECRET) go together', 'serve');
  const drain = setting('drain', values.drain, 'PARLEY_DRAIN', 'service');
  if (drain.value !== 'service' && drain.value !== 'node')
    throw new UsageError(`${drain.from} must be service or node; got ${drain.value}`, 'serve');
  const forced = values['demo-credentials'] === true || booleanVariable('PARLEY_DEMO_CREDENTIALS');
  const { demo, warning } = demoMode(host, apiKey, forced);

  await checkPort(host, port);
  const logger = createStderrLogger('info');
  if (warning !== undefined) logger.warn(warning);
  let server;
  try {
    server = await createServer({
      port: Number(port.value),
      host,
      dataDir,
      projects: apiKey !== undefined && apiSecret !== undefined ? [{ apiKey, apiSecret }] : [],
      logger,
      demo,
      drain: drain.value,
    });
  } catch (err) {
    if (err instanceof DataDirError)
      throw new UsageError(`${err.message}; pick another with --data-dir (or PARLEY_DATA_DIR)`, 'serve');
    throw listenError(err, host, port) ?? err;
  }
  const absDataDir = resolve(dataDir);
  const project = server.projects[0];
  const inMemory = dataDir === ':memory:';
  if (!inMemory)
    writeServerFile(absDataDir, { url: localUrl(host, server.port), apiKey: project?.apiKey, pid: process.pid });

  // Handlers before the banner: whoever reads the banner may signal at once.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: shutting down\n`);
    if (!inMemory) removeServerFile(absDataDir, process.pid);
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

  const dirFlag = dataDir === DEFAULT_DATA_DIR ? '' : ` --data-dir ${shellArg(dataDir)}`;
  const parley = parleyCommand(process.cwd());
  const out: string[] = [`Parley listening on ${server.url} (WebSocket ${server.wsUrl})`];
  if (server.createdDevProject !== undefined) out.push('Created a development project (stored in the data dir):');
  if (project !== undefined) {
    out.push(`  API key:    ${project.apiKey}`);
    if (apiKey === undefined) out.push(`  API secret: ${project.apiSecret}`);
  }
  if (demo) out.push(`Demo page: ${server.url}/ (mints a session and a token for this project)`);
  else if (apiKey === undefined)
    out.push(`Demo page: ${server.url}/ (token minting is off on a non-loopback host; --demo-credentials turns it on)`);
  out.push(
    'Create a session:',
    `  ${parley} session create${dirFlag}`,
    'Mint a token for it:',
    `  ${parley} token SESSION_ID --role publisher${dirFlag}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}
