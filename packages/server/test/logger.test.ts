/**
 * Logs with fields: the server logs through a pino-compatible `logger` (pino by default), each
 * connection's lines through a child bound to its session and connection IDs, and never a token,
 * a resume key or a secret. The older `log` option still gets the same lines as before
 * (server-logs.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '@parley/protocol';
import { createPinoLogger, resolveServerOptions, type LogFields, type Logger } from '@parley/server';
import { waitFor } from '@parley/testkit';
import { API_SECRET, claims, Harness, SHORT_TIMINGS, signJwt } from './support/harness.js';

interface Entry {
  readonly level: string;
  readonly bindings: LogFields;
  readonly fields: LogFields;
  readonly msg: string;
}

/** A logger with pino's shape that records what it is given, and wakes waiters. */
class RecordingLogger implements Logger {
  readonly error = this.#at('error');
  readonly warn = this.#at('warn');
  readonly info = this.#at('info');
  readonly debug = this.#at('debug');

  constructor(
    readonly entries: Entry[] = [],
    readonly bindings: LogFields = {},
    readonly wake: Set<() => void> = new Set(),
  ) {}

  child(bindings: LogFields): Logger {
    return new RecordingLogger(this.entries, { ...this.bindings, ...bindings }, this.wake);
  }

  #at(level: string) {
    return (a: LogFields | string, msg?: string): void => {
      this.entries.push(
        typeof a === 'string'
          ? { level, bindings: this.bindings, fields: {}, msg: a }
          : { level, bindings: this.bindings, fields: a, msg: msg ?? '' },
      );
      for (const w of this.wake) w();
    };
  }

  next(pred: (e: Entry) => boolean): Promise<Entry> {
    return waitFor<Entry>(
      (resolve) => {
        const check = () => {
          const hit = this.entries.find(pred);
          if (hit !== undefined) resolve(hit);
        };
        this.wake.add(check);
        check();
        return () => this.wake.delete(check);
      },
      3000,
      () => `a log entry; got ${JSON.stringify(this.entries)}`,
    );
  }
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('createServer({ logger })', () => {
  it("a connection's lines come from a child bound to its session and connection IDs and client address, with fields", async () => {
    const logger = new RecordingLogger();
    h = await Harness.start({ logger });
    const sessionId = await h.session();
    const a = await h.join(sessionId, { role: 'moderator' });
    const id = a.welcome.connection.connectionId;
    const joined = await logger.next((e) => e.msg.includes('joined'));
    expect(joined).toEqual({
      level: 'info',
      bindings: { sessionId, connectionId: id, ip: '127.0.0.1' },
      fields: { event: 'joined', role: 'moderator' },
      msg: `connection ${id} joined session ${sessionId} as moderator`,
    });
    a.client.send({ t: 'bye' });
    const left = await logger.next((e) => e.msg.includes(' left '));
    expect(left.bindings).toEqual({ sessionId, connectionId: id, ip: '127.0.0.1' });
    expect(left.fields).toEqual({ event: 'left', reason: 'clientDisconnected', code: CloseCode.Normal });
  });

  it('one line per lifecycle event (joined, detached, resumed, refused, left), each with its event, session and connection', async () => {
    const logger = new RecordingLogger();
    h = await Harness.start({ logger, timings: SHORT_TIMINGS });
    const sessionId = await h.session();
    const { a, aId } = await h.pair(sessionId);
    a.client.drop();
    await logger.next((e) => e.fields.event === 'detached' && e.bindings.connectionId === aId);
    expect((await h.resume(sessionId, a.welcome, 0, 'wrong-key').close()).code).toBe(CloseCode.ResumeRefused);
    const r = h.resume(sessionId, a.welcome, 0);
    await r.nextOf('resumed');
    r.send({ t: 'bye' });
    await logger.next((e) => e.fields.event === 'left' && e.bindings.connectionId === aId);
    const mine = logger.entries
      .map((e) => ({ ...e.bindings, ...e.fields }))
      .filter((e) => e.connectionId === aId && typeof e.event === 'string');
    expect(mine.map((e) => e.event)).toEqual(['joined', 'detached', 'refused', 'resumed', 'left']);
    for (const e of mine) expect(e).toMatchObject({ sessionId, connectionId: aId });
    expect(mine[2]).toMatchObject({ kind: 'resume', code: CloseCode.ResumeRefused });
    expect(mine[4]).toMatchObject({ reason: 'clientDisconnected', code: CloseCode.Normal });
  });

  it('an HTTP request answered 4xx is one line with the method, the path without its query, and the status', async () => {
    const logger = new RecordingLogger();
    h = await Harness.start({ logger });
    const res = await fetch(`${h.server.url}/v2/project/123456/session/abc/stream?token=T1==secret-in-query`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    const line = await logger.next((e) => e.fields.event === 'refused' && e.fields.method === 'GET');
    expect(line.fields).toEqual({
      event: 'refused',
      method: 'GET',
      path: '/v2/project/123456/session/abc/stream',
      status: res.status,
    });
    expect(JSON.stringify(logger.entries)).not.toContain('secret-in-query');
  });

  it('a refused join is logged with the session, the client address, the code and the reason as fields', async () => {
    const logger = new RecordingLogger();
    h = await Harness.start({ logger });
    const sessionId = await h.session();
    const closed = await h.connect(sessionId, signJwt(claims(sessionId, { role: 'admin' }), API_SECRET)).close();
    const refused = await logger.next((e) => e.msg.startsWith('gateway: refused'));
    expect(refused.fields).toEqual({
      event: 'refused',
      kind: 'join',
      sessionId,
      ip: '127.0.0.1',
      code: closed.code,
      reason: closed.reason,
    });
  });

  it('pino, the default implementation, writes JSON lines with the fields and never a token or a resume key', async () => {
    const lines: string[] = [];
    const wake = new Set<() => void>();
    const logger = createPinoLogger('info', {
      write: (chunk: string) => {
        lines.push(chunk);
        for (const w of wake) w();
      },
    });
    h = await Harness.start({ logger });
    const sessionId = await h.session();
    const token = h.token(sessionId);
    const a = await h.join(sessionId);
    const id = a.welcome.connection.connectionId;
    a.client.drop();
    const wrongKey = `${a.welcome.resumeKey}x`;
    expect((await h.resume(sessionId, a.welcome, 0, wrongKey).close()).code).toBe(CloseCode.ResumeRefused);
    await h.resume(sessionId, a.welcome, 0).nextOf('resumed');
    const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitFor<true>(
      (resolve) => {
        const check = () => {
          if (parsed().some((l) => String(l.msg).includes('resumed in session'))) resolve(true);
        };
        wake.add(check);
        check();
        return () => wake.delete(check);
      },
      3000,
      () => `a resumed line; got ${lines.join('')}`,
    );
    const joined = parsed().find((l) => String(l.msg).includes('joined'));
    expect(joined).toMatchObject({ level: 30, sessionId, connectionId: id, role: 'publisher' });
    const text = lines.join('');
    expect(text).not.toContain(token);
    expect(text).not.toContain(a.welcome.resumeKey);
  });

  it('pino redacts token, resumeKey, key and secret fields, at the top level and one level down', () => {
    const lines: string[] = [];
    const logger = createPinoLogger('info', {
      write: (chunk: string) => {
        lines.push(chunk);
      },
    });
    logger.info({ token: 't', resumeKey: 'r', apiSecret: 's', query: { key: 'k', token: 't2' }, ok: 1 }, 'm');
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      token: '[redacted]',
      resumeKey: '[redacted]',
      apiSecret: '[redacted]',
      query: { key: '[redacted]', token: '[redacted]' },
      ok: 1,
      msg: 'm',
    });
  });

  it('log and logger together, or a logger without the methods, are refused at construction', () => {
    expect(() => resolveServerOptions({ log: () => {}, logger: new RecordingLogger() })).toThrow(
      /give log or logger, not both/,
    );
    expect(() => resolveServerOptions({ logger: { info: () => {} } as never })).toThrow(/logger must have/);
  });
});
