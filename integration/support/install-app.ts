/**
 * The files of the fresh app that integration/install.test.ts installs the release tarballs into:
 * one TypeScript program that uses every SDK (compiled under three module resolutions and as
 * CommonJS), the tsconfigs, and the scripts of a second app that has no `ws`.
 */

import { SessionConnectionStatus } from '@parley/client';
import { CloseCode, MAX_SIGNAL_DATA_LENGTH, SessionErrorCode } from '@parley/protocol';

/** The app's project, as the fresh app of a user would have it. */
export const APP_API_KEY = '4711';
const APP_API_SECRET = 'install-check-secret';

/**
 * Starts a server from the installed @parley/server, mints a session and a token with
 * @parley/server-sdk, connects a @parley/client session to it, signals itself, and fetches the demo
 * page and the client bundle from the server; prints one JSON line. No top-level await, so the same
 * text compiles to ES modules and to CommonJS.
 */
export const CHECK_PROGRAM = `import { createHash } from 'node:crypto';
import { CloseCode, MAX_SIGNAL_DATA_LENGTH, SessionErrorCode } from '@parley/protocol';
import { Parley } from '@parley/server-sdk';
import { createServer, type ServerOptions } from '@parley/server';
import { ParleyError, Session, SessionConnectionStatus, type SessionOptions } from '@parley/client';

/** Never called: it compiles only if the declarations are real (with \`any\` the directive is unused). */
export function typesAreReal(session: Session): void {
  // @ts-expect-error signal() takes an options object
  void session.signal(42);
}

async function main(): Promise<void> {
  const options: ServerOptions = {
    host: '127.0.0.1',
    port: 0,
    dataDir: ':memory:',
    projects: [{ apiKey: '${APP_API_KEY}', apiSecret: '${APP_API_SECRET}' }],
  };
  const server = await createServer(options);
  try {
    const parley = new Parley('${APP_API_KEY}', '${APP_API_SECRET}', { apiUrl: server.url });
    const { sessionId } = await parley.createSession();
    const token = parley.generateToken(sessionId, { role: 'publisher', data: 'name=check' });
    const clientOptions: SessionOptions = { url: server.url };
    const session = new Session('${APP_API_KEY}', sessionId, undefined, clientOptions);
    const echoed = new Promise<string>((resolve) => {
      session.on('signal:check', ({ data }) => {
        resolve(data ?? '');
      });
    });
    await session.connect(token);
    const connected = session.connectionStatus === SessionConnectionStatus.Connected;
    await session.signal({ type: 'check', data: 'hello' });
    const signal = await echoed;
    await session.disconnect();
    const page = await fetch(server.url + '/');
    const pageText = await page.text();
    const bundle = await fetch(server.url + '/demo/parley.browser.js');
    const bundleBytes = Buffer.from(await bundle.arrayBuffer());
    const error: ParleyError = ParleyError.invalidParameter('x');
    console.log(
      JSON.stringify({
        connected,
        signal,
        status: session.connectionStatus,
        page: page.status,
        pageTitle: /<title>([^<]*)<\\/title>/.exec(pageText)?.[1] ?? null,
        bundle: bundle.status,
        bundleSha256: createHash('sha256').update(bundleBytes).digest('hex'),
        protocol: [MAX_SIGNAL_DATA_LENGTH, CloseCode.InvalidSession, SessionErrorCode.NullOrInvalidParameter],
        errorCode: error.code,
      }),
    );
  } finally {
    await server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
`;

/** What every compiled form of {@link CHECK_PROGRAM} must print, less the bundle hash. */
export const CHECK_RESULT = {
  connected: true,
  signal: 'hello',
  status: SessionConnectionStatus.NotConnected,
  page: 200,
  pageTitle: 'Parley demo',
  bundle: 200,
  protocol: [MAX_SIGNAL_DATA_LENGTH, CloseCode.InvalidSession, SessionErrorCode.NullOrInvalidParameter],
  errorCode: SessionErrorCode.NullOrInvalidParameter,
};

const COMMON = {
  target: 'ES2022',
  lib: ['ES2022'],
  types: ['node'],
  strict: true,
  noEmitOnError: true,
  rootDir: 'src',
};

/**
 * One tsconfig per module resolution; each emits into out/NAME. NodeNext also checks every
 * declaration file (skipLibCheck off, as a strict user's project would); the others, whose
 * declarations are the same files reached another way, skip that (it is mostly @types/node and
 * costs seconds) and the test instead checks that tsc loaded every package's declarations.
 */
export const TSCONFIGS = {
  // ES module app (package.json "type": "module"); check-cjs.cts is a CommonJS file of the same app.
  nodenext: {
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    skipLibCheck: false,
    files: ['src/check.ts', 'src/check-cjs.cts'],
  },
  bundler: { module: 'ESNext', moduleResolution: 'Bundler', skipLibCheck: true, files: ['src/check.ts'] },
  // TypeScript's old resolution ignores "exports": types come from the top-level "types" field.
  node10: { module: 'CommonJS', moduleResolution: 'node10', skipLibCheck: true, files: ['src/check.ts'] },
} as const;

/** tsconfig.NAME.json's text. */
export function tsconfig(name: keyof typeof TSCONFIGS): string {
  const { files, ...options } = TSCONFIGS[name];
  return JSON.stringify({ compilerOptions: { ...COMMON, ...options, outDir: `out/${name}` }, files }, null, 2);
}

/** A session ID of the app's project in the server's format. */
const SESSION_ID = `1_${Buffer.from(`1~${APP_API_KEY}~local~1700000000000~abc~~`).toString('base64url')}`;

/** The no-ws app: importing the client works; `new Session()` says what to install. */
const NO_WS_BODY = `
let message = 'no error';
try {
  new client.Session('${APP_API_KEY}', '${SESSION_ID}', undefined, { url: 'http://127.0.0.1:8720' });
} catch (err) {
  message = err instanceof client.ParleyError ? err.code + ' ' + err.message : String(err);
}
console.log(JSON.stringify({ message }));
`;
export const NO_WS_ESM = `import * as client from '@parley/client';\n${NO_WS_BODY}`;
export const NO_WS_CJS = `const client = require('@parley/client');\n${NO_WS_BODY}`;
