#!/usr/bin/env node
// `npm run release [-- --out DIR]`: build, then pack every public package (@parley/protocol,
// server-sdk, client, server) into DIR (default `release/`, git-ignored) as the tarballs an app
// installs before the packages are on npm. Checks each tarball before it is reported: nothing
// build-internal (.tsbuildinfo, tests), no stale output of a deleted source, every entry point the
// manifest names present, and our own packages depending on each other at the exact version
// packed here, so installing the tarballs together resolves each @parley dependency to a tarball.
// The build is incremental and rewrites nothing unchanged, so it is safe beside running tests.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
let out;
try {
  const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true, allowPositionals: false });
  out = resolve(values.out ?? join(root, 'release'));
} catch (err) {
  console.error(`release: ${err.message}\nusage: node scripts/release.mjs [--out DIR]   (default DIR: release/)`);
  process.exit(2);
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const fail = (message) => {
  console.error(`release: ${message}`);
  process.exit(1);
};

/** Files a build writes that have no source of the same name. */
const GENERATED = new Set(['parley.browser.js', 'parley.browser.js.map']);
/** Tarball paths (under `package/`) that must never ship. */
const FORBIDDEN = [/\.tsbuildinfo$/, /^test\//, /(^|\/)__tests__\//, /\.test\.[cm]?[jt]s$/, /(^|\/)node_modules\//];

const rootManifest = readJson(join(root, 'package.json'));
const packages = rootManifest.workspaces
  .map((dir) => ({ dir: join(root, dir), manifest: readJson(join(root, dir, 'package.json')) }))
  .filter((p) => p.manifest.private !== true);
const versions = new Map(packages.map((p) => [p.manifest.name, p.manifest.version]));

execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
mkdirSync(out, { recursive: true });

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** A file in dist/ whose source is gone (tsc never deletes outputs) would ship as dead code. */
function staleOutputs(dir) {
  const stale = [];
  for (const file of walk(join(dir, 'dist'))) {
    const rel = relative(join(dir, 'dist'), file);
    if (GENERATED.has(rel) || rel.endsWith('.tsbuildinfo')) continue;
    const base = rel.replace(/\.(d\.ts\.map|d\.ts|js\.map|js)$/, '');
    if (base === rel || !existsSync(join(dir, 'src', `${base}.ts`))) stale.push(`dist/${rel}`);
  }
  return stale;
}

/** Every path package.json points at: main, types, browser, bin, and each exports target. */
function entryPoints(manifest) {
  const paths = [manifest.main, manifest.types, manifest.browser];
  if (typeof manifest.bin === 'string') paths.push(manifest.bin);
  else if (manifest.bin) paths.push(...Object.values(manifest.bin));
  const targets = (value) => (typeof value === 'string' ? [value] : Object.values(value ?? {}).flatMap(targets));
  paths.push(...targets(manifest.exports));
  return paths.filter((p) => typeof p === 'string').map((p) => p.replace(/^\.\//, ''));
}

const packed = [];
for (const { dir, manifest } of packages) {
  const where = relative(root, dir);
  const stale = staleOutputs(dir);
  if (stale.length > 0) {
    fail(`${where}: ${stale.join(', ')} has no source any more; delete ${where}/dist and run again`);
  }
  for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
    if (!name.startsWith('@parley/')) continue;
    if (!versions.has(name)) fail(`${manifest.name} depends on ${name}, which is not a public package`);
    if (range !== versions.get(name)) {
      fail(
        `${manifest.name} depends on ${name}@${range}; it must be exactly ${versions.get(name)}, the version packed`,
      );
    }
  }
  const [report] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: dir, encoding: 'utf8' }),
  );
  const files = report.files.map((f) => f.path);
  const forbidden = files.filter((f) => FORBIDDEN.some((re) => re.test(f)));
  if (forbidden.length > 0) fail(`${report.filename} contains ${forbidden.join(', ')}`);
  const missing = entryPoints(manifest).filter((p) => !files.includes(p));
  if (missing.length > 0) fail(`${report.filename} lacks ${missing.join(', ')}, which package.json points at`);
  packed.push({ name: manifest.name, file: join(out, report.filename), size: report.size, count: files.length });
}

console.log(`\nrelease: ${packed.length} tarballs in ${out}`);
for (const p of packed) {
  console.log(
    `  ${p.name.padEnd(20)} ${relative(out, p.file).padEnd(32)} ${(p.size / 1024).toFixed(1)} kB, ${p.count} files`,
  );
}
console.log(`\nInstall them into an app (each package needs the tarballs of its @parley dependencies too):`);
console.log(`  npm install ${packed.map((p) => p.file).join(' ')} ws`);
