/**
 * The REST API over raw HTTP (fetch): status codes, content types, bodies and the rule that every
 * non-2xx answer carries a non-empty JSON `message` (the official SDK crashes its host otherwise).
 */
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mintRestJwt } from '@parley/server-sdk';
import { parseSessionId } from '@parley/protocol';
import {
  API_KEY,
  API_SECRET,
  OTHER_KEY,
  OTHER_SECRET,
  startRestHarness,
  type RestHarness,
} from './support/rest-harness.js';

/** The server's fixed clock: Mon Nov 30 01:34:53 UTC 2026. */
const NOW_MS = Date.UTC(2026, 10, 30, 1, 34, 53, 250);
const NOW_S = Math.floor(NOW_MS / 1000);

let h: RestHarness;
let sessionId: string;

const auth = (apiKey = API_KEY, secret = API_SECRET): Record<string, string> => ({
  'X-OPENTOK-AUTH': mintRestJwt(apiKey, secret, NOW_S),
});
const project = (path: string, apiKey = API_KEY): string => `${h.baseUrl}/v2/project/${apiKey}${path}`;

function send(
  method: string,
  url: string,
  opts: { body?: unknown; form?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...auth(), ...opts.headers };
  let body: string | undefined;
  if (opts.form !== undefined) {
    body = opts.form;
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  } else if (opts.raw !== undefined) {
    body = opts.raw;
    headers['Content-Type'] ??= 'application/json';
  }
  return fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
}

/** Assert an error answer: the status, `application/json`, and a non-empty string `message`. */
async function expectError(res: Response, status: number, message?: RegExp | string): Promise<string> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get('content-type')?.split(';')[0]).toBe('application/json');
  const body = JSON.parse(text) as { message?: unknown };
  expect(typeof body.message).toBe('string');
  expect((body.message as string).length).toBeGreaterThan(0);
  if (typeof message === 'string') expect(body.message).toBe(message);
  else if (message !== undefined) expect(body.message).toMatch(message);
  return body.message as string;
}

async function createSession(form = 'archiveMode=manual&p2p.preference=enabled'): Promise<Record<string, unknown>> {
  const res = await send('POST', `${h.baseUrl}/session/create`, { form });
  expect(res.status).toBe(200);
  const body = (await res.json()) as Record<string, unknown>[];
  expect(body).toHaveLength(1);
  return body[0] ?? {};
}

beforeAll(async () => {
  h = await startRestHarness(() => NOW_MS);
});

afterAll(async () => {
  await h.close();
});

beforeEach(async () => {
  h.realtime.calls.length = 0;
  h.realtime.failWith = undefined;
  sessionId = String((await createSession())['session_id']);
});

describe('POST /session/create', () => {
  it('answers 200 application/json with a one-element array shaped like the real platform', async () => {
    const res = await send('POST', `${h.baseUrl}/session/create`, {
      form: 'archiveMode=manual&p2p.preference=disabled',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const [entry, ...rest] = (await res.json()) as Record<string, unknown>[];
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      project_id: API_KEY,
      partner_id: API_KEY,
      create_dt: 'Mon Nov 30 01:34:53 UTC 2026',
      session_status: null,
      status_invalid: null,
      media_server_hostname: null,
      messaging_server_url: null,
      messaging_url: null,
      symphony_address: null,
      properties: null,
      ice_server: null,
      ice_servers: null,
      ice_credential_expiration: 86100,
      media_server_url: '',
    });
    expect(entry?.['session_segment_id']).toMatch(/^[0-9a-f-]{36}$/);
    const sid = String(entry?.['session_id']);
    expect(sid).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(parseSessionId(sid)).toMatchObject({ apiKey: API_KEY, relayed: false });
    expect(h.store.sessions.get(sid)).toMatchObject({ mediaMode: 'routed', createdAt: NOW_MS });
  });

  it('treats a missing p2p.preference as relayed and ignores unknown fields', async () => {
    const entry = await createSession('foo=bar&nested=%5Bobject+Object%5D');
    const stored = h.store.sessions.get(String(entry['session_id']));
    expect(stored).toMatchObject({ mediaMode: 'relayed', archiveMode: 'manual', e2ee: false, location: '' });
  });

  it('also accepts a JSON body', async () => {
    const res = await send('POST', `${h.baseUrl}/session/create`, {
      body: { 'p2p.preference': 'disabled', archiveMode: 'always', e2ee: true, location: '10.0.0.1' },
    });
    expect(res.status).toBe(200);
    const [entry] = (await res.json()) as Record<string, unknown>[];
    expect(h.store.sessions.get(String(entry?.['session_id']))).toMatchObject({
      mediaMode: 'routed',
      archiveMode: 'always',
      e2ee: true,
      location: '10.0.0.1',
    });
  });

  it.each([
    ['archiveMode=always&p2p.preference=enabled', /always archive mode .* routed/],
    ['archiveMode=always', /always archive mode .* routed/],
    ['archiveMode=sometimes&p2p.preference=disabled', /archiveMode/],
    ['location=not-an-ip&p2p.preference=enabled', /IPv4/],
    ['location=&p2p.preference=enabled', /IPv4/],
    ['location=::1&p2p.preference=enabled', /IPv4/],
    ['p2p.preference=maybe', /p2p\.preference/],
    ['e2ee=yes&p2p.preference=disabled', /e2ee/],
    ['archiveResolution=1x1&p2p.preference=disabled', /archiveResolution/],
    [`archiveName=${'n'.repeat(81)}&p2p.preference=disabled`, /archiveName/],
  ])('rejects %s with 400 JSON', async (form, message) => {
    const before = h.store.sessions.size;
    await expectError(await send('POST', `${h.baseUrl}/session/create`, { form }), 400, message);
    expect(h.store.sessions.size).toBe(before);
  });

  it('rejects a malformed JSON body with 400', async () => {
    await expectError(await send('POST', `${h.baseUrl}/session/create`, { raw: '{"p2p.preference":' }), 400, /JSON/);
  });

  it('is found under any prefix and with repeated slashes', async () => {
    for (const path of ['//session/create', '/opentok/session/create', '/a//b///session//create/']) {
      const res = await send('POST', h.baseUrl + path, { form: 'p2p.preference=enabled' });
      expect(res.status).toBe(200);
      await res.json();
    }
  });

  it('answers 405 with Allow for another method', async () => {
    const res = await send('GET', `${h.baseUrl}/session/create`);
    expect(res.headers.get('allow')).toBe('POST');
    await expectError(res, 405);
  });
});

describe('authentication', () => {
  const createUrl = (): string => `${h.baseUrl}/session/create`;
  const signalUrl = (): string => project(`/session/${sessionId}/signal`);

  it('answers 401 JSON without X-OPENTOK-AUTH', async () => {
    for (const url of [createUrl(), signalUrl()]) {
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      await expectError(res, 401, /X-OPENTOK-AUTH/);
    }
  });

  it('reads the header in any letter case and ignores the SDK\'s bogus "headers" header', async () => {
    const res = await fetch(signalUrl(), {
      method: 'POST',
      headers: {
        'x-OpenTok-Auth': mintRestJwt(API_KEY, API_SECRET, NOW_S),
        headers: '[object Object]',
        'content-type': 'application/json',
      },
      body: '{"data":"x"}',
    });
    expect(res.status).toBe(204);
  });

  it('refuses a JWT signed with another secret (403) and an unknown project (401)', async () => {
    await expectError(await send('POST', createUrl(), { form: '', headers: auth(API_KEY, 'forged') }), 403);
    await expectError(await send('POST', signalUrl(), { body: {}, headers: auth(API_KEY, 'forged') }), 403);
    await expectError(await send('POST', createUrl(), { form: '', headers: auth('999999', 'x') }), 401);
    await expectError(
      await send('POST', project('/session/x/signal', '999999'), { body: {}, headers: auth('999999', 'x') }),
      401,
    );
  });

  it('refuses a JWT for another project than the path names (403)', async () => {
    await expectError(await send('POST', signalUrl(), { body: {}, headers: auth(OTHER_KEY, OTHER_SECRET) }), 403);
    // Even signed with this project's secret, an `iss` naming another project is refused.
    await expectError(await send('POST', signalUrl(), { body: {}, headers: auth(OTHER_KEY, API_SECRET) }), 403, /iss/);
  });

  it('refuses an expired JWT crafted with jsonwebtoken (401)', async () => {
    const expired = jwt.sign({ iss: API_KEY, ist: 'project', iat: NOW_S - 900, exp: NOW_S - 600 }, API_SECRET);
    await expectError(
      await send('POST', createUrl(), { form: '', headers: { 'X-OPENTOK-AUTH': expired } }),
      401,
      /expired/,
    );
    await expectError(
      await send('POST', signalUrl(), { body: {}, headers: { 'X-OPENTOK-AUTH': expired } }),
      401,
      /expired/,
    );
  });

  it('accepts a valid JWT crafted with jsonwebtoken exactly as the SDK does', async () => {
    const token = jwt.sign({ iss: API_KEY, ist: 'project', iat: NOW_S, exp: NOW_S + 300 }, API_SECRET, {});
    const res = await send('POST', signalUrl(), { body: { data: 'x' }, headers: { 'X-OPENTOK-AUTH': token } });
    expect(res.status).toBe(204);
  });

  it('refuses garbage tokens with 401/403 JSON', async () => {
    for (const token of ['garbage', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJpc3MiOiIxMjM0NTYifQ.']) {
      const res = await send('POST', createUrl(), { form: '', headers: { 'X-OPENTOK-AUTH': token } });
      expect([401, 403]).toContain(res.status);
      await expectError(res, res.status);
    }
  });

  it('authenticates before revealing whether a project path exists', async () => {
    await expectError(await fetch(project('/no/such/thing')), 401);
    await expectError(await fetch(project('/archive'), { method: 'POST' }), 401);
  });
});

describe('signal', () => {
  it('answers 204 with no body and no Content-Type, and calls the core once', async () => {
    h.realtime.connect(sessionId, 'c1');
    const res = await send('POST', project(`/session/${sessionId}/signal`), { body: { type: 'chat', data: 'hello' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('content-type')).toBeNull();
    expect(await res.text()).toBe('');
    expect(h.realtime.calls).toEqual([{ op: 'serverSignal', sessionId, signal: { type: 'chat', data: 'hello' } }]);
  });

  it('accepts an empty object (no type, no data)', async () => {
    const res = await send('POST', project(`/session/${sessionId}/signal`), { body: {} });
    expect(res.status).toBe(204);
    expect(h.realtime.calls).toEqual([{ op: 'serverSignal', sessionId, signal: {} }]);
  });

  it('answers 404 "Session or connection not found" for an unknown session, connection or another project\'s session', async () => {
    const other = String((await createSession())['session_id']);
    const record = h.store.sessions.get(other);
    if (record === undefined) throw new Error('session not stored');
    h.store.sessions.set(other, { ...record, apiKey: OTHER_KEY });
    h.realtime.connect(sessionId, 'c1');
    for (const path of [
      `/session/1_MX4xMjM0NTZ-fn4/signal`,
      `/session/${sessionId}/connection/nobody/signal`,
      `/session/${other}/signal`,
    ]) {
      await expectError(
        await send('POST', project(path), { body: { data: 'x' } }),
        404,
        'Session or connection not found',
      );
    }
  });

  it('answers 204 when signalling a stored session that has no live connection', async () => {
    const res = await send('POST', project(`/session/${sessionId}/signal`), { body: { data: 'x' } });
    expect(res.status).toBe(204);
  });

  it('answers 404 when signalling one connection of a session with no live connection', async () => {
    await expectError(
      await send('POST', project(`/session/${sessionId}/connection/c9/signal`), { body: { data: 'x' } }),
      404,
      'Session or connection not found',
    );
  });

  it.each([
    ['a type with a space', { type: 'has space' }, 400],
    ['a 129-character type', { type: 't'.repeat(129) }, 400],
    ['a numeric type', { type: 42 }, 400],
    ['numeric data', { data: 42 }, 400],
    ['8193 characters of data', { data: 'x'.repeat(8193) }, 413],
  ])('rejects %s with %i JSON and does not call the core', async (_label, body, status) => {
    await expectError(await send('POST', project(`/session/${sessionId}/signal`), { body }), status);
    expect(h.realtime.calls).toEqual([]);
  });

  it('accepts the limits exactly (type 128, data 8192)', async () => {
    const res = await send('POST', project(`/session/${sessionId}/signal`), {
      body: { type: 't'.repeat(128), data: 'd'.repeat(8192) },
    });
    expect(res.status).toBe(204);
  });

  it.each(['{"data":', '[1,2]', '"text"', 'null'])('rejects the body %s with 400 JSON', async (raw) => {
    await expectError(await send('POST', project(`/session/${sessionId}/signal`), { raw }), 400);
  });

  it('rejects a body over 64 KiB with 413 JSON', async () => {
    const raw = JSON.stringify({ data: 'x'.repeat(70 * 1024) });
    await expectError(await send('POST', project(`/session/${sessionId}/signal`), { raw }), 413, /larger than/);
  });

  it('answers 500 JSON when the core fails, and keeps serving', async () => {
    h.realtime.failWith = new Error('core exploded');
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      await expectError(
        await send('POST', project(`/session/${sessionId}/signal`), { body: {} }),
        500,
        'Internal server error',
      );
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.some((m) => m.includes('core exploded'))).toBe(true);
    h.realtime.failWith = undefined;
    expect((await send('POST', project(`/session/${sessionId}/signal`), { body: {} })).status).toBe(204);
  });

  it('is found after a double slash and a prefix, with a query string', async () => {
    for (const path of [
      `//v2/project/${API_KEY}/session/${sessionId}/signal`,
      `/x/y/v2/project/${API_KEY}//session/${sessionId}/signal/?q=1`,
    ]) {
      expect((await send('POST', h.baseUrl + path, { body: {} })).status).toBe(204);
    }
  });
});

describe('forceDisconnect', () => {
  it('answers 204 and calls the core', async () => {
    h.realtime.connect(sessionId, 'c1');
    const res = await send('DELETE', project(`/session/${sessionId}/connection/c1`));
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(h.realtime.calls).toEqual([{ op: 'forceDisconnect', sessionId, connectionId: 'c1' }]);
  });

  it('answers 404 JSON for an unknown connection or session', async () => {
    await expectError(
      await send('DELETE', project(`/session/${sessionId}/connection/c1`)),
      404,
      'Session or connection not found',
    );
    await expectError(
      await send('DELETE', project(`/session/nope/connection/c1`)),
      404,
      'Session or connection not found',
    );
  });
});

describe('streams (none exist yet)', () => {
  it('lists none: 200 application/json {"count":0,"items":[]}', async () => {
    const res = await send('GET', project(`/session/${sessionId}/stream`));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ count: 0, items: [] });
  });

  it('answers 404 JSON for one stream, muting one stream, or any stream call on an unknown session', async () => {
    await expectError(await send('GET', project(`/session/${sessionId}/stream/s1`)), 404, 'Stream not found');
    await expectError(
      await send('POST', project(`/session/${sessionId}/stream/s1/mute`), { body: {} }),
      404,
      'Stream not found',
    );
    await expectError(await send('GET', project('/session/nope/stream')), 404, 'Session not found');
    await expectError(
      await send('POST', project('/session/nope/mute'), { body: { active: true } }),
      404,
      'Session not found',
    );
  });

  it('mutes all (nothing): 200 with an empty body', async () => {
    for (const body of [{ active: true, excludedStreamIds: ['s2'] }, { active: false }]) {
      const res = await send('POST', project(`/session/${sessionId}/mute`), { body });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
    }
    await expectError(
      await send('POST', project(`/session/${sessionId}/mute`), { body: { excludedStreamIds: 'x' } }),
      400,
    );
  });

  it('sets class lists: 200 for an empty list, 400 JSON for an unknown stream or a malformed list', async () => {
    expect((await send('PUT', project(`/session/${sessionId}/stream`), { body: { items: [] } })).status).toBe(200);
    await expectError(
      await send('PUT', project(`/session/${sessionId}/stream`), {
        body: { items: [{ id: 's1', layoutClassList: ['full'] }] },
      }),
      400,
      'Invalid stream ID: s1',
    );
    await expectError(
      await send('PUT', project(`/session/${sessionId}/stream`), { body: { items: [{ id: 's1' }] } }),
      400,
    );
    await expectError(await send('PUT', project(`/session/${sessionId}/stream`), { body: {} }), 400);
  });
});

describe('unsupported features and unknown paths', () => {
  it.each([
    ['GET', '/archive', 'Archiving'],
    ['POST', '/archive', 'Archiving'],
    ['GET', '/archive/a1', 'Archiving'],
    ['DELETE', '/archive/a1', 'Archiving'],
    ['POST', '/archive/a1/stop', 'Archiving'],
    ['PATCH', '/archive/a1/streams', 'Archiving'],
    ['PUT', '/archive/a1/layout', 'Archiving'],
    ['GET', '/broadcast', 'broadcast'],
    ['POST', '/broadcast', 'broadcast'],
    ['GET', '/broadcast/b1', 'broadcast'],
    ['POST', '/broadcast/b1/stop', 'broadcast'],
    ['PATCH', '/broadcast/b1/streams', 'broadcast'],
    ['PUT', '/broadcast/b1/layout', 'broadcast'],
    ['POST', '/dial', 'SIP'],
    ['POST', '/connect', 'Audio Connector'],
    ['POST', '/session/S/play-dtmf', 'DTMF'],
    ['POST', '/session/S/connection/c1/play-dtmf', 'DTMF'],
    ['POST', '/captions', 'captions'],
    ['POST', '/captions/cap1/stop', 'captions'],
    ['GET', '/render', 'Experience Composer'],
    ['POST', '/render', 'Experience Composer'],
    ['GET', '/render/r1', 'Experience Composer'],
    ['DELETE', '/render/r1', 'Experience Composer'],
    ['POST', '/callback', 'Callbacks'],
    ['DELETE', '/callback/cb1', 'Callbacks'],
  ])('%s %s → 501 JSON naming the feature', async (method, path, feature) => {
    const body = method === 'GET' || method === 'DELETE' ? {} : { body: {} };
    const message = await expectError(await send(method, project(path), body), 501);
    expect(message).toContain(feature);
    expect(message).toContain('is not supported by Parley');
  });

  it('lists callbacks as an empty JSON array', async () => {
    const res = await send('GET', project('/callback'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual([]);
  });

  it('answers 404 JSON for unknown paths', async () => {
    await expectError(await send('GET', `${h.baseUrl}/`), 404);
    await expectError(await send('GET', `${h.baseUrl}/favicon.ico`), 404);
    await expectError(await send('GET', project('/nope')), 404);
    await expectError(await send('GET', project('')), 404);
    await expectError(await send('POST', project(`/session/${sessionId}/signal/extra`), { body: {} }), 404);
  });

  it('answers 405 JSON with Allow for a wrong method on a known path', async () => {
    const res = await send('GET', project(`/session/${sessionId}/signal`));
    expect(res.headers.get('allow')).toBe('POST');
    await expectError(res, 405);
    const res2 = await send('DELETE', project(`/session/${sessionId}/stream`));
    expect(res2.headers.get('allow')).toBe('GET, PUT');
    await expectError(res2, 405);
    await expectError(await send('OPTIONS', project('/archive')), 405);
  });

  it('answers 400 JSON for malformed percent-encoding in the path', async () => {
    await expectError(
      await send('POST', `${h.baseUrl}/v2/project/${API_KEY}/session/%E0%A4%A/signal`, { body: {} }),
      400,
    );
  });
});

describe('never an empty error body', () => {
  it('every non-2xx answer of a mixed batch is application/json with a non-empty message', async () => {
    const cases: [string, string, Parameters<typeof send>[2]][] = [
      ['POST', `${h.baseUrl}/session/create`, { form: 'archiveMode=always', headers: auth(API_KEY, 'bad') }],
      ['POST', project(`/session/${sessionId}/signal`), { raw: 'not json' }],
      ['POST', project(`/session/${sessionId}/connection/x/signal`), { body: { data: 'x' } }],
      ['DELETE', project(`/session/${sessionId}/connection/x`), {}],
      ['GET', project(`/session/${sessionId}/stream/x`), {}],
      ['POST', project('/archive'), { body: { sessionId } }],
      ['PATCH', project(`/session/${sessionId}/stream`), { body: {} }],
      ['GET', `${h.baseUrl}/nothing/here`, {}],
    ];
    for (const [method, url, opts] of cases) {
      const res = await send(method, url, opts);
      expect(res.status).toBeGreaterThanOrEqual(400);
      await expectError(res, res.status);
    }
  });
});
