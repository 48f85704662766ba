#!/usr/bin/env node
// The `parley` bin. A committed file, so it exists when `npm ci` links bins on a fresh clone
// (the compiled CLI in dist/ only appears after `npm run build` or `npm start`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('parley: the server is not built yet (no dist/cli.js): run `npm run build` in the repository\n');
  process.exit(1);
}
await import(cli.href);
