/**
 * The SDKs installed as a user installs them: `npm run release`'s tarballs, `npm install`ed into a
 * fresh app in a temporary folder (real npm; the registry for ws, typescript and the server's
 * third-party dependencies, from npm's cache when it has them). The app's TypeScript program uses
 * every SDK and is compiled under NodeNext (every declaration file checked), Bundler and node10
 * (each package's declarations loaded), then run as ES modules and as CommonJS (require of our ES
 * modules, Node >= 20.19): each run starts a server from the installed @parley/server, connects an
 * installed @parley/client to it, and fetches the demo page and the client bundle from it. A second app installs only the client (and
 * the protocol) to show that browser users get no `ws` (a browser bundle of it needs none), and
 * what Node says without it.
 *
 * One shortcut, for time: better-sqlite3 (the server's SQLite) is installed with its install script
 * off and its native build copied from this repository's install of the same version, instead of
 * compiling SQLite again for every run.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionErrorCode } from '@parley/protocol';
import { CHECK_PROGRAM, CHECK_RESULT, NO_WS_CJS, NO_WS_ESM, TSCONFIGS, tsconfig } from './support/install-app.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const PUBLIC = ['protocol', 'server-sdk', 'client', 'server'] as const;
/** Every step has its own deadline; the whole file stays within about two minutes. */
const STEP_MS = 90_000;

interface Run {
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: none of the npm_* variables `npm test` sets for its scripts. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'NODE_OPTIONS' && key !== 'INIT_CWD') env[key] = value;
  }
  return env;
}

/** Run a command; reject with its output when it fails or outlives `STEP_MS`. */
function run(cmd: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env: cleanEnv(), timeout: STEP_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

const node = (args: readonly string[], cwd: string): Promise<Run> => run(process.execPath, args, cwd);
const version = (pkg: string): string =>
  (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
const lastJsonLine = (out: string): unknown => JSON.parse(out.trim().split('\n').pop() ?? '');
const fileName = (name: (typeof PUBLIC)[number]): string =>
  `parley-${name}-${(JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { version: string }).version}.tgz`;
const tarball = (name: (typeof PUBLIC)[number]): string => join(work, 'tarballs', fileName(name));

let work: string;
let app: string;
const compiles = new Map<keyof typeof TSCONFIGS, Promise<Run>>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'parley-install-'));
  await node([join(root, 'scripts/release.mjs'), '--out', join(work, 'tarballs')], root);
}, STEP_MS);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the release tarballs', () => {
  it('hold the build and the sources the maps point at, and nothing build-internal', async () => {
    expect(readdirSync(join(work, 'tarballs')).sort()).toEqual(PUBLIC.map(fileName).sort());
    for (const name of PUBLIC) {
      const files = (await run('tar', ['-tzf', tarball(name)], work)).stdout.trim().split('\n');
      expect(
        files.filter((f) => f.endsWith('.tsbuildinfo')),
        name,
      ).toEqual([]);
      expect(
        files.filter((f) => /^package\/(test|node_modules)\//.test(f)),
        name,
      ).toEqual([]);
      expect(files, name).toEqual(
        expect.arrayContaining(['package/package.json', 'package/dist/index.js', 'package/dist/index.d.ts']),
      );
      expect(files.filter((f) => f.startsWith('package/src/')).length, name).toBeGreaterThan(0);
    }
    const client = (await run('tar', ['-tzf', tarball('client')], work)).stdout;
    expect(client).toContain('package/dist/parley.browser.js\n');
    expect(client).toContain('package/dist/node.js\n');
    const server = (await run('tar', ['-tzf', tarball('server')], work)).stdout;
    expect(server).toContain('package/public/index.html\n');
  });
});

describe('a fresh app with the tarballs installed', () => {
  beforeAll(async () => {
    app = join(work, 'app');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }));
    const thirdParty = ['ws', 'typescript', '@types/node', 'better-sqlite3'].map((p) => `${p}@${version(p)}`);
    await run(
      'npm',
      [
        'install',
        '--ignore-scripts',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        ...PUBLIC.map(tarball),
        ...thirdParty,
      ],
      app,
    );
    const native = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    mkdirSync(join(app, native, '..'), { recursive: true });
    copyFileSync(join(root, native), join(app, native));
    writeFileSync(join(app, 'src/check.ts'), CHECK_PROGRAM);
    writeFileSync(join(app, 'src/check-cjs.cts'), CHECK_PROGRAM);
    // The three compilers run side by side (each is mostly tsc checking @types/node); each test
    // awaits its own, so a failure is reported by the test of that resolution.
    for (const name of Object.keys(TSCONFIGS) as (keyof typeof TSCONFIGS)[]) {
      writeFileSync(join(app, `tsconfig.${name}.json`), tsconfig(name));
      const compiling = node(['node_modules/typescript/bin/tsc', '-p', `tsconfig.${name}.json`, '--listFiles'], app);
      compiling.catch(() => undefined); // reported by the test that awaits it
      compiles.set(name, compiling);
    }
  }, STEP_MS);

  it('resolves every @parley dependency to a tarball, once', () => {
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string }>;
    };
    const ours = Object.entries(lock.packages).filter(([path]) => path.includes('node_modules/@parley/'));
    expect(ours.map(([path]) => path).sort()).toEqual(PUBLIC.map((p) => `node_modules/@parley/${p}`).sort());
    for (const [path, entry] of ours) expect(entry.resolved, path).toMatch(/^file:.*\.tgz$/);
  });

  it.each(Object.keys(TSCONFIGS) as (keyof typeof TSCONFIGS)[])(
    'compiles under moduleResolution %s with every package’s declarations, and runs',
    async (name) => {
      const listed = (await compiles.get(name))?.stdout ?? '';
      for (const pkg of PUBLIC) expect(listed, name).toContain(`/node_modules/@parley/${pkg}/dist/index.d.ts\n`);
      if (name === 'node10') writeFileSync(join(app, 'out/node10/package.json'), '{ "type": "commonjs" }');
      const compiled = readFileSync(join(app, `out/${name}/check.js`), 'utf8');
      if (name === 'node10') expect(compiled).toContain('require("@parley/client")');
      else expect(compiled).toContain("from '@parley/client'");
      const outputs = [join(app, `out/${name}/check.js`)];
      if (name === 'nodenext') {
        // A CommonJS file of the same app: require() of our ES modules.
        const cjs = join(app, 'out/nodenext/check-cjs.cjs');
        expect(readFileSync(cjs, 'utf8')).toContain('require("@parley/client")');
        outputs.push(cjs);
      }
      const bundle = readFileSync(join(app, 'node_modules/@parley/client/dist/parley.browser.js'));
      for (const file of outputs) {
        const result = lastJsonLine((await node([file], app)).stdout);
        expect(result, file).toEqual({
          ...CHECK_RESULT,
          bundleSha256: createHash('sha256').update(bundle).digest('hex'),
        });
      }
    },
    STEP_MS,
  );
});

describe('a browser user’s install: the client without ws', () => {
  let lite: string;
  beforeAll(async () => {
    lite = join(work, 'lite');
    mkdirSync(lite);
    writeFileSync(join(lite, 'package.json'), JSON.stringify({ name: 'lite-app', private: true, type: 'module' }));
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball('protocol'), tarball('client')],
      lite,
    );
    writeFileSync(join(lite, 'no-ws.mjs'), NO_WS_ESM);
    writeFileSync(join(lite, 'no-ws.cjs'), NO_WS_CJS);
  }, STEP_MS);

  it('installs no ws, imports and requires, and new Session() says to install ws', async () => {
    const lock = readFileSync(join(lite, 'package-lock.json'), 'utf8');
    expect(lock).not.toContain('node_modules/ws');
    for (const file of ['no-ws.mjs', 'no-ws.cjs']) {
      const { message } = lastJsonLine((await node([file], lite)).stdout) as { message: string };
      expect(message, file).toMatch(/"ws" package .*not installed: run `npm install ws`/);
      expect(message.startsWith(`${SessionErrorCode.NullOrInvalidParameter} `), message).toBe(true);
    }
  });

  it('bundles for the browser from the installed package without ws or anything from Node', async () => {
    writeFileSync(join(lite, 'page.js'), "import { Session } from '@parley/client';\nconsole.log(Session);\n");
    const result = await build({
      absWorkingDir: lite,
      entryPoints: ['page.js'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('node_modules/@parley/client/dist/browser.js');
    expect(inputs.filter((i) => i.endsWith('/node.js') || i.includes('node_modules/ws/'))).toEqual([]);
    expect(result.outputFiles[0]?.text).not.toMatch(/["']node:|createRequire/);
  });
});
