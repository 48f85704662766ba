/**
 * `--log-format pretty` and `--log-level` (issue 12): the readable one-line format made from
 * pino's (already redacted) JSON, its default on a terminal, and the level honoured by a spawned
 * `parley serve`.
 */
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '@parley/client';
import { waitFor } from '@parley/testkit';
import { createPinoLogger } from '../src/log/logger.js';
import { prettyLine, prettyStream } from '../src/log/pretty.js';
import { settingNamed } from '../src/cli/config/registry.js';
import { buildServer, cli, serve, stop } from './support/cli-run.js';

let tmp: string;
beforeAll(() => {
  buildServer();
  tmp = mkdtempSync(join(tmpdir(), 'parley-log-format-'));
}, 120_000);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('the pretty format', () => {
  it('is the time, the level, the message, and the fields the message does not already say (its IDs)', () => {
    const time = Date.UTC(2026, 11, 2, 7, 5, 2, 123);
    const line = JSON.stringify({
      level: 30,
      time,
      sessionId: '1_abc',
      connectionId: 'c-1',
      event: 'joined',
      role: 'moderator',
      msg: 'connection c-1 joined session 1_abc as moderator',
    });
    expect(prettyLine(line)).toBe(
      '07:05:02.123 INFO  connection c-1 joined session 1_abc as moderator  event=joined role=moderator\n',
    );
    expect(prettyLine(JSON.stringify({ level: 40, time, msg: 'w', note: 'two words', n: 2 }))).toBe(
      '07:05:02.123 WARN  w  note="two words" n=2\n',
    );
    expect(prettyLine('not json')).toBe('not json\n');
  });

  it("puts an error's stack on indented lines", () => {
    const out = prettyLine(
      JSON.stringify({ level: 50, time: 0, msg: 'boom', err: { message: 'x', stack: 'Error: x\n    at f' } }),
    );
    expect(out).toBe('00:00:00.000 ERROR boom\n    Error: x\n        at f\n');
  });

  it('formats what pino wrote, after its redaction: a token never reaches the terminal', () => {
    const written: string[] = [];
    const logger = createPinoLogger('info', prettyStream({ write: (s: string) => written.push(s) }));
    logger.info({ token: 'T1==very-secret', query: { key: 'k-secret' } }, 'with secrets');
    expect(written.join('')).toMatch(/INFO {2}with secrets {2}token=\[redacted\] query=\{"key":"\[redacted\]"\}\n$/);
    expect(written.join('')).not.toContain('secret"');
    expect(written.join('')).not.toContain('very-secret');
  });

  it('is the default when stderr is a terminal, json otherwise', () => {
    const spec = settingNamed('log-format');
    const was = process.stderr.isTTY;
    try {
      process.stderr.isTTY = true;
      expect(spec.default()).toBe('pretty');
      process.stderr.isTTY = false;
      expect(spec.default()).toBe('json');
    } finally {
      process.stderr.isTTY = was;
    }
  });
});

describe('parley serve --log-level, --log-format', () => {
  it('writes only lines at the level or above, in the chosen format', async () => {
    const dataDir = join(tmp, 'data');
    const s = await serve(['--port', '0', '--data-dir', dataDir, '--log-format', 'pretty'], {
      env: { PARLEY_LOG_LEVEL: 'warn' },
    });
    try {
      const url = /Parley listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(s.out)?.[1] ?? '';
      const apiKey = /API key: +(\d+)/.exec(s.out)?.[1] ?? '';
      const sessionId = cli(['session', 'create', '--data-dir', dataDir]).stdout.trim();
      const token = cli(['token', sessionId, '--data-dir', dataDir]).stdout.trim();
      const session = new Session(apiKey, sessionId, undefined, { url });
      await session.connect(token); // an info line (joined), below the level
      // A warning: the TLS hint for a ClientHello sent to the plain port.
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      socket.end(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03]));
      const hint = /^\d\d:\d\d:\d\d\.\d{3} WARN {2}http: a client spoke TLS to this plain-HTTP port/m;
      await waitFor<true>(
        (resolve) => {
          const check = () => {
            if (hint.test(s.stderr())) resolve(true);
          };
          s.child.stderr?.on('data', check);
          check();
          return () => s.child.stderr?.off('data', check);
        },
        10_000,
        () => `the TLS hint, pretty; got:\n${s.stderr()}`,
      );
      // Lines are written in order, synchronously: the join came before the hint, and is not there.
      expect(s.stderr()).not.toMatch(/joined|INFO/);
      await session.disconnect();
      socket.destroy();
    } finally {
      expect(await stop(s.child)).toBe(0);
    }
  }, 60_000);
});
