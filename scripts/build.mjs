#!/usr/bin/env node
// The one build: `npm run build`, and `npm start` before serving, so a fresh clone starts with one
// command. An incremental `tsc -b` (a no-op when nothing changed), the client's browser bundle
// (the demo page loads it), and the executable bit on the `parley` CLI: npm sets it when it links
// the bin at install time, but on a fresh clone the file does not exist yet then.
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = (...args) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

node(`${root}node_modules/typescript/bin/tsc`, '-b');
node(`${root}packages/client/build-browser.mjs`);
chmodSync(`${root}packages/server/dist/cli.js`, 0o755);
