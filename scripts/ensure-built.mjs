#!/usr/bin/env node
// `npm start` runs this first: an incremental `tsc -b` (a no-op when nothing changed) and the
// browser bundle the demo page loads, so a fresh clone starts with one command.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

run(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-b']);
if (!existsSync(`${root}packages/client/dist/parley.browser.js`)) {
  run(process.execPath, [`${root}packages/client/build-browser.mjs`]);
}
