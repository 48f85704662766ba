/** `parley session create` and `parley token`: they read the server's data dir, never write it. */
import { parseArgs } from 'node:util';
import { ROLES } from '@parley/protocol';
import { generateToken, Parley, ParleyApiError } from '@parley/server-sdk';
import { DEFAULT_DATA_DIR } from '../server-options.js';
import { dataDirSetting, env, UsageError } from './args.js';
import { openDataDirReadOnly, pickProject } from './data-dir-reader.js';
import { helpText } from './help.js';
import { readServerFile, SERVER_FILE } from './server-file.js';

/** How long `session create` waits for the server. */
const REST_TIMEOUT_MS = 5000;

export async function sessionCreate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      relayed: { type: 'boolean' },
      'data-dir': { type: 'string' },
      'api-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(helpText('session'));
    return;
  }
  const dir = openDataDirReadOnly(dataDirSetting(values['data-dir'], DEFAULT_DATA_DIR).value, 'session');
  let project;
  try {
    const running = readServerFile(dir.path);
    project = pickProject(dir, values['api-key'] ?? env('PARLEY_API_KEY'), running?.apiKey, 'session');
    if (running === undefined) {
      throw new UsageError(
        `no running server uses ${dir.path} (no ${SERVER_FILE} there): start it first (npm start) or pass the --data-dir it uses`,
        'session',
      );
    }
    const parley = new Parley(project.apiKey, project.apiSecret, { apiUrl: running.url, timeoutMs: REST_TIMEOUT_MS });
    try {
      const { sessionId } = await parley.createSession({ mediaMode: values.relayed === true ? 'relayed' : 'routed' });
      process.stdout.write(`${sessionId}\n`);
    } catch (err) {
      if (err instanceof ParleyApiError && err.status === 0) {
        throw new UsageError(
          `the server at ${running.url} (from ${dir.path}/${SERVER_FILE}) does not answer: start it (npm start)`,
          'session',
        );
      }
      throw err;
    }
  } finally {
    dir.close();
  }
}

export function token(args: string[]): void {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      data: { type: 'string' },
      ttl: { type: 'string' },
      format: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(helpText('token'));
    return;
  }
  const sessionId = positionals[0];
  if (sessionId === undefined || positionals.length > 1)
    throw new UsageError('usage: parley token SESSION_ID [options]', 'token');
  const role = values.role ?? 'publisher';
  if (!(ROLES as readonly string[]).includes(role))
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}; got ${role}`, 'token');
  const ttl = Number(values.ttl ?? '86400');
  if (!Number.isSafeInteger(ttl) || ttl <= 0)
    throw new UsageError(`--ttl must be a positive number of seconds; got ${values.ttl ?? ''}`, 'token');
  const format = values.format ?? 'jwt';
  if (format !== 'jwt' && format !== 't1') throw new UsageError(`--format must be jwt or t1; got ${format}`, 'token');
  const dir = openDataDirReadOnly(dataDirSetting(values['data-dir'], DEFAULT_DATA_DIR).value, 'token');
  try {
    const owner = dir.sessionProject(sessionId);
    if (owner === undefined) {
      throw new UsageError(
        `unknown session ${sessionId}: not in ${dir.dbPath} (create one with: parley session create)`,
        'token',
      );
    }
    const project = pickProject(dir, owner, undefined, 'token');
    const expireTime = Math.floor(Date.now() / 1000) + ttl;
    const opts = { role, data: values.data ?? '', expireTime };
    process.stdout.write(`${generateToken(project.apiKey, project.apiSecret, sessionId, opts, format)}\n`);
  } finally {
    dir.close();
  }
}
