/**
 * The demo page: `GET /` is `public/index.html`, `GET /demo/NAME` is `public/NAME`. Nothing
 * else is served from disk, and no path may leave `public/`.
 */
import { sendError } from './json.js';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `packages/server/public`, from `src/http/` (tests) or `dist/http/` (built) alike. */
export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

/**
 * The client SDK's browser bundle, which the demo page imports. It is found through the
 * `@parley/client` package (a dependency of this one) the way Node finds any package, so it is the
 * same file in the repository (a workspace link to packages/client) and in an app that installed
 * the packages from npm or from tarballs. Resolved on first use: a failure is a 404, not a crash.
 */
const CLIENT_BUNDLE = ['parley.browser.js', 'parley.browser.js.map'];
let clientDist: string | null | undefined;

/** The path of the bundle file `name`; undefined when `name` is not one, null when the package is missing. */
function clientBundleFile(name: string): string | null | undefined {
  if (!CLIENT_BUNDLE.includes(name)) return undefined;
  if (clientDist === undefined) {
    try {
      const manifest = createRequire(import.meta.url).resolve('@parley/client/package.json');
      clientDist = join(dirname(manifest), 'dist');
    } catch {
      clientDist = null;
    }
  }
  return clientDist === null ? null : join(clientDist, name);
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * True for the paths this module serves (`GET`/`HEAD` of `/` and `/demo/…`).
 * @example isStaticRequest('GET', '/demo/demo.js') // true
 */
export function isStaticRequest(method: string | undefined, pathname: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  return pathname === '/' || pathname.startsWith('/demo/');
}

function notFound(res: ServerResponse, message: string): void {
  sendError(res, 404, message);
}

/**
 * Serve a static request (see {@link isStaticRequest}); 404 JSON when the file is missing.
 * @example if (isStaticRequest(req.method, url.pathname)) void serveStatic(req, res, url.pathname);
 */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  root = PUBLIC_DIR,
): Promise<void> {
  let relative: string;
  try {
    relative = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice('/demo/'.length));
  } catch {
    notFound(res, 'not found');
    return;
  }
  if (relative === '') relative = 'index.html';
  const bundle = clientBundleFile(relative);
  if (bundle === null) {
    notFound(res, 'the client bundle is not installed: @parley/client cannot be found from @parley/server');
    return;
  }
  const file = bundle ?? resolve(root, relative);
  if (bundle === undefined && !file.startsWith(resolve(root) + sep)) {
    notFound(res, 'not found');
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    notFound(
      res,
      pathname === '/'
        ? 'the demo page is not installed'
        : bundle !== undefined
          ? 'the client bundle is not built: run `npm run build`'
          : 'not found',
    );
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
