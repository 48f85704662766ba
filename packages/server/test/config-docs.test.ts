/**
 * The docs match the configuration registry (issue 12): every registry row is a row of the
 * README's flag table and of docs/OPERATIONS.md §Configuration (flag, variable and file key on
 * one line), no table lists a flag the registry lacks, and the config file OPERATIONS.md offers to
 * start from passes the checks.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/cli/config/load.js';
import { CONFIG_ENV, CONFIG_FLAG, SETTINGS } from '../src/cli/config/registry.js';
import { checkRules } from '../src/cli/config/rules.js';
import { ROOT } from './support/cli-run.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const OPERATIONS = readFileSync(join(ROOT, 'docs/OPERATIONS.md'), 'utf8');

/** The text of one `## ` section. */
function section(doc: string, title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`no section "## ${title}"`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** Table rows that start with a flag: `| \`--port N\` | …`. */
function flagRows(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('| `--'));
}

/** The flag of a table row (`port` from "| `--port N` |"). */
const flagOf = (row: string) => /^\| `--([a-z-]+)/.exec(row)?.[1];

const KNOWN_FLAGS = [...SETTINGS.map((s) => s.flag), CONFIG_FLAG];

describe.each([
  ['README.md (Run the server)', section(README, 'Run the server')],
  ['docs/OPERATIONS.md (Configuration)', section(OPERATIONS, 'Configuration')],
])('%s', (_name, text) => {
  const rows = flagRows(text);

  it('has a table row for every setting of the registry: its flag, variable and file key', () => {
    for (const s of SETTINGS) {
      const row = rows.find((r) => flagOf(r) === s.flag);
      expect(row, `no row for --${s.flag}`).toBeDefined();
      expect(row, s.name).toContain(`\`${s.env}`);
      expect(row, s.name).toContain(`\`${s.key}\``);
    }
    expect(rows.find((r) => flagOf(r) === CONFIG_FLAG)).toContain(`\`${CONFIG_ENV}\``);
  });

  it('lists no flag the registry lacks', () => {
    for (const row of rows) expect(KNOWN_FLAGS, row).toContain(flagOf(row));
  });
});

describe('docs/OPERATIONS.md §Configuration', () => {
  it('offers a config file that passes the checks', () => {
    const json = /```json\n([\s\S]*?)```/.exec(section(OPERATIONS, 'Configuration'))?.[1];
    expect(json).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'parley-config-docs-'));
    try {
      const file = join(dir, 'parley.json');
      writeFileSync(file, json ?? '');
      const config = loadConfig({ config: file }, {});
      checkRules(config);
      const fromFile = config.settings.filter((s) => s.source === 'file').map((s) => s.spec.key);
      expect(fromFile.sort()).toEqual(Object.keys(JSON.parse(json ?? '') as object).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
