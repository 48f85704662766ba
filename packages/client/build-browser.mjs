// Bundle src/browser.ts into dist/parley.browser.js (ESM, es2022, minified, with a source map)
// and refuse a bundle that would need Node: no require() calls, no node: imports.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const outfile = here('./dist/parley.browser.js');

await build({
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

const bundle = await readFile(outfile, 'utf8');
const problems = [];
if (bundle.includes('require("')) problems.push('a require("…") call');
if (/["'`]node:/.test(bundle)) problems.push('a node: import');
if (/from\s*["']ws["']/.test(bundle)) problems.push('the ws package');
if (problems.length > 0) {
  console.error(`build-browser: ${outfile} contains ${problems.join(', ')}; the browser bundle must not need Node.`);
  process.exit(1);
}
console.log(`build-browser: wrote ${outfile} (${bundle.length} bytes)`);
