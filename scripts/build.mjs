#!/usr/bin/env node
// The one build: `npm run build`, and `npm start` before serving, so a fresh clone starts with one
// command. An incremental `tsc -b` (a no-op when nothing changed) and the client's browser bundle
// (the demo page loads it). The `parley` bin is the committed packages/server/bin/parley.js, which
// npm links at install time, before anything is built.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = (...args) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

node(`${root}node_modules/typescript/bin/tsc`, '-b');
node(`${root}packages/client/build-browser.mjs`);
