/** `parley serve`: check the port, start the server, print the banner, stop on a signal. */
import cluster from 'node:cluster';
import { createServer as createNetServer } from 'node:net';
import { resolve } from 'node:path';
import { createServer } from '../create-server.js';
import { DEFAULT_DATA_DIR, type ServerOptions } from '../server-options.js';
import { createStderrLogger, type LogFormat, type LogLevel } from '../log/logger.js';
import { DataDirError } from '../store/data-dir.js';
import { shellArg, UsageError, type Setting } from './args.js';
import { loadConfig, parseFlags, registryOptions } from './config/load.js';
import { checkRules } from './config/rules.js';
import { loadTlsFiles } from './config/tls-files.js';
import { parleyCommand } from './command-name.js';
import { helpText } from './help.js';
import { localUrl, removeServerFile, writeServerFile } from './server-file.js';
import { clusterLine, reportListening, runPrimary } from './workers.js';

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
  const flags = parseFlags(args);
  if (flags.help === true) {
    process.stdout.write(helpText('serve'));
    return;
  }
  const config = loadConfig(flags, process.env);
  checkRules(config);
  const tls = loadTlsFiles(config);
  const portSetting = config.get('port');
  const port: Setting = { value: String(portSetting.value), from: portSetting.from };
  const host = config.get('host').value as string;
  const dataDir = config.get('data-dir').value as string;
  const apiKey = config.get('api-key').value as string | undefined;
  const apiSecret = config.get('api-secret').value as string | undefined;
  const { demo, warning } = demoMode(host, apiKey, config.get('demo-credentials').value === true);
  const redisUrl = config.get('redis').value as string | undefined;
  const workers = config.get('workers').value as number;
  // In a cluster a stopping node hands its clients to the others (4016); alone, the service stops (4013).
  const drain = config.get('drain');
  const drainMode = drain.source === 'default' && redisUrl !== undefined ? 'node' : (drain.value as string);

  if (workers > 1 && cluster.isPrimary) {
    await checkPort(host, port);
    await runPrimary(workers, host);
    return;
  }
  // A worker listens through its primary (node:cluster), which checked the port.
  const worker = cluster.isWorker;
  if (!worker) await checkPort(host, port);
  const logger = createStderrLogger(
    config.get('log-level').value as LogLevel,
    config.get('log-format').value as LogFormat,
  );
  for (const w of config.warnings) logger.warn(w);
  if (warning !== undefined) logger.warn(warning);
  let server;
  try {
    server = await createServer({
      ...(registryOptions(config) as ServerOptions),
      projects: apiKey !== undefined && apiSecret !== undefined ? [{ apiKey, apiSecret }] : [],
      logger,
      demo,
      drain: drainMode as ServerOptions['drain'],
      tls, // checked above; reads the files again on SIGHUP
    });
  } catch (err) {
    if (err instanceof DataDirError)
      throw new UsageError(`${err.message}; pick another with --data-dir (or PARLEY_DATA_DIR)`, 'serve');
    throw listenError(err, host, port) ?? err;
  }
  const absDataDir = resolve(dataDir);
  const project = server.projects[0];
  // The data dir is the store only without Redis; a worker leaves the process file to its primary.
  const inMemory = dataDir === ':memory:' || redisUrl !== undefined || worker;
  if (!inMemory)
    writeServerFile(absDataDir, {
      url: localUrl(host, server.port, tls === undefined ? 'http' : 'https'),
      apiKey: project?.apiKey,
      pid: process.pid,
    });

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
  // SIGHUP re-reads the certificate; without TLS it keeps Node's default (the process ends).
  if (tls !== undefined)
    process.on('SIGHUP', () => {
      void server.reloadTls();
    });

  const dirFlag = dataDir === DEFAULT_DATA_DIR ? '' : ` --data-dir ${shellArg(dataDir)}`;
  const parley = parleyCommand(process.cwd());
  const out: string[] = [`Parley listening on ${server.url} (WebSocket ${server.wsUrl})`];
  if (server.createdDevProject !== undefined)
    out.push(`Created a development project (stored in ${redisUrl === undefined ? 'the data dir' : 'Redis'}):`);
  if (project !== undefined) {
    out.push(`  API key:    ${project.apiKey}`);
    // A secret is printed once, when it is made; never again, never logged.
    if (server.createdDevProject !== undefined) out.push(`  API secret: ${project.apiSecret}`);
    else if (apiKey === undefined)
      out.push(
        `  API secret: (printed on its first start only; kept in ${redisUrl === undefined ? 'the data dir' : 'Redis'})`,
      );
  }
  if (demo) out.push(`Demo page: ${server.url}/ (mints a session and a token for this project)`);
  else if (apiKey === undefined)
    out.push(`Demo page: ${server.url}/ (token minting is off on a non-loopback host; --demo-credentials turns it on)`);
  // `parley session create` and `parley token` read the data dir, which a cluster node does not use.
  if (redisUrl !== undefined) out.push(clusterLine(redisUrl));
  else
    out.push(
      'Create a session:',
      `  ${parley} session create${dirFlag}`,
      'Mint a token for it:',
      `  ${parley} token SESSION_ID --role publisher${dirFlag}`,
    );
  // A worker's banner is printed once, by its primary.
  if (worker) reportListening(out);
  else process.stdout.write(`${out.join('\n')}\n`);
}
