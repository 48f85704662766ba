// Bundle src/browser.ts into dist/parley.browser.js (ESM, es2022, minified, with a source map)
// and refuse a bundle that would need Node: no require() calls, no node: imports.
// Files are rewritten only when their content changed, so a build (`npm run release` runs one)
// never rewrites the bundle under a test or a server that is reading it.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const outfile = here('./dist/parley.browser.js');

const result = await build({
  write: false,
  entryPoints: [here('./src/browser.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  // Bundle the protocol from source so the bundle never depends on a stale dist.
  alias: { '@parley/protocol': here('../protocol/src/index.ts') },
  logLevel: 'warning',
});

const bundleFile = result.outputFiles.find((f) => f.path === outfile);
if (bundleFile === undefined) throw new Error(`build-browser: esbuild produced no ${outfile}`);
const bundle = bundleFile.text;
const problems = [];
if (bundle.includes('require("')) problems.push('a require("…") call');
if (/["'`]node:/.test(bundle)) problems.push('a node: import');
if (/from\s*["']ws["']/.test(bundle)) problems.push('the ws package');
if (problems.length > 0) {
  console.error(`build-browser: ${outfile} contains ${problems.join(', ')}; the browser bundle must not need Node.`);
  process.exit(1);
}
let written = 0;
for (const file of result.outputFiles) {
  const before = await readFile(file.path).catch(() => null);
  if (before !== null && Buffer.compare(before, file.contents) === 0) continue;
  await mkdir(dirname(file.path), { recursive: true });
  await writeFile(file.path, file.contents);
  written++;
}
console.log(`build-browser: ${written > 0 ? 'wrote' : 'unchanged'} ${outfile} (${bundle.length} bytes)`);
