import { describe, it, expect } from 'vitest';
import {
  CloseCode,
  MAX_MESSAGES_PER_FRAME,
  ProtocolError,
  decodeClientFrame,
  decodeServerFrame,
  encodeMessage,
  isRequest,
  isSequenced,
  joinFrame,
  type ClientMessage,
  type ServerMessage,
} from '@parley/protocol';

const alice = { connectionId: 'conn-a', creationTime: 1_700_000_000_000, data: 'name=Alice' };
const bob = { connectionId: 'conn-b', creationTime: 1_700_000_000_500, data: '' };

const SERVER_MESSAGES: readonly ServerMessage[] = [
  {
    t: 'welcome',
    v: 1,
    connection: alice,
    role: 'moderator',
    connections: [bob],
    resumeKey: 'rk-123',
    heartbeatInterval: 2500,
    heartbeatTimeout: 7000,
    reconnectWindow: 30000,
    limits: { maxSignalTypeLength: 128, maxSignalDataLength: 8192, maxClientFrameBytes: 262144 },
    caps: ['reply'],
  },
  { t: 'resumed', ack: 3, next: 8, heartbeatInterval: 2500, heartbeatTimeout: 7000, reconnectWindow: 30000 },
  { t: 'pong' },
  { t: 'ack', a: 12 },
  { t: 'nack', r: 4, code: 1413, message: 'signal data is too long' },
  { t: 'reply', r: 5, data: { now: 1_700_000_000_123, list: [1, 'two', null, true] } },
  { t: 'reply', r: 6 },
  { t: 'signal', from: 'conn-b', type: 'chat', data: 'hi\nthere "quoted" ü' },
  { t: 'signal', from: null },
  { t: 'connectionCreated', connection: bob },
  { t: 'connectionDestroyed', connectionId: 'conn-b', reason: 'clientDisconnected' },
  { t: 'connectionDestroyed', connectionId: 'conn-b', reason: 'forceDisconnected' },
  { t: 'connectionDestroyed', connectionId: 'conn-b', reason: 'networkDisconnected' },
  { t: 'connectionDestroyed', connectionId: 'conn-b', reason: 'serverShutdown' },
  { t: 'connectionReconnecting', connectionId: 'conn-b' },
  { t: 'connectionReconnected', connectionId: 'conn-b' },
];

const CLIENT_MESSAGES: readonly ClientMessage[] = [
  { t: 'signal', s: 1, type: 'chat', data: 'hello\nworld', to: 'conn-b' },
  { t: 'signal', s: 2 },
  { t: 'signal', s: 0, type: '', data: '' },
  { t: 'forceDisconnect', s: 3, connectionId: 'conn-b' },
  { t: 'time', s: 4 },
  { t: 'ack', a: 0 },
  { t: 'ping', a: 17 },
  { t: 'bye' },
];

function expectProtocolError(decode: () => unknown, message?: RegExp): void {
  let thrown: unknown;
  try {
    decode();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ProtocolError);
  expect((thrown as ProtocolError).closeCode).toBe(CloseCode.ProtocolError);
  expect((thrown as ProtocolError).closeCode).toBe(4002);
  expect((thrown as ProtocolError).name).toBe('ProtocolError');
  if (message) expect((thrown as ProtocolError).message).toMatch(message);
}

describe('encode/decode round trips', () => {
  it.each(SERVER_MESSAGES.map((m) => [m.t, m] as const))('server → client %s', (_, message) => {
    const encoded = encodeMessage(message);
    expect(encoded).not.toContain('\n');
    expect(decodeServerFrame(encoded)).toEqual([message]);
  });

  it.each(CLIENT_MESSAGES.map((m) => [m.t, m] as const))('client → server %s', (_, message) => {
    const encoded = encodeMessage(message);
    expect(encoded).not.toContain('\n');
    expect(decodeClientFrame(encoded)).toEqual([message]);
  });

  it('a frame batching every server message decodes to all of them, in order', () => {
    expect(decodeServerFrame(joinFrame(SERVER_MESSAGES.map(encodeMessage)))).toEqual(SERVER_MESSAGES);
  });

  it('a frame batching every client message decodes to all of them, in order', () => {
    expect(decodeClientFrame(joinFrame(CLIENT_MESSAGES.map(encodeMessage)))).toEqual(CLIENT_MESSAGES);
  });

  it('joinFrame of one message is the message itself; of several, newline-separated', () => {
    expect(joinFrame(['{"t":"bye"}'])).toBe('{"t":"bye"}');
    expect(joinFrame(['{"t":"bye"}', '{"t":"pong"}'])).toBe('{"t":"bye"}\n{"t":"pong"}');
  });

  it('accepts exactly MAX_MESSAGES_PER_FRAME (256) messages and skips empty lines', () => {
    const frame = joinFrame(
      Array.from({ length: MAX_MESSAGES_PER_FRAME }, (_, i) => encodeMessage({ t: 'ack', a: i })),
    );
    expect(decodeClientFrame(frame)).toHaveLength(256);
    expect(decodeClientFrame('{"t":"bye"}\n\n{"t":"ping","a":1}\n')).toEqual([{ t: 'bye' }, { t: 'ping', a: 1 }]);
  });

  it('drops unknown fields and reads null optional strings as absent', () => {
    expect(
      decodeClientFrame('{"t":"signal","s":1,"type":null,"data":"x","extra":true,"__proto__":{"polluted":1}}'),
    ).toEqual([{ t: 'signal', s: 1, data: 'x' }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('classifies sequenced server messages and client requests', () => {
    expect(SERVER_MESSAGES.filter(isSequenced).map((m) => m.t)).toEqual([
      'nack',
      'reply',
      'reply',
      'signal',
      'signal',
      'connectionCreated',
      'connectionDestroyed',
      'connectionDestroyed',
      'connectionDestroyed',
      'connectionDestroyed',
      'connectionReconnecting',
      'connectionReconnected',
    ]);
    expect(CLIENT_MESSAGES.filter(isRequest).map((m) => m.t)).toEqual([
      'signal',
      'signal',
      'signal',
      'forceDisconnect',
      'time',
    ]);
  });

  it('reads a welcome without caps (a server built before capabilities) as granting none', () => {
    const old: Record<string, unknown> = { ...SERVER_MESSAGES[0] };
    delete old.caps;
    expect(decodeServerFrame(JSON.stringify(old))).toEqual([{ ...old, caps: [] }]);
  });

  it('drops capability names it does not know from welcome.caps', () => {
    const welcome = { ...SERVER_MESSAGES[0], caps: ['reply', 'hologram', 7] };
    expect(decodeServerFrame(JSON.stringify(welcome))).toEqual([{ ...SERVER_MESSAGES[0], caps: ['reply'] }]);
  });

  it('ignores fields it does not know in server messages, so the server may add optional fields', () => {
    const decoded = decodeServerFrame(
      '{"t":"connectionDestroyed","connectionId":"c","reason":"clientDisconnected","newField":1}\n' +
        '{"t":"nack","r":1,"code":404,"message":"m","hint":"x"}',
    );
    expect(decoded).toEqual([
      { t: 'connectionDestroyed', connectionId: 'c', reason: 'clientDisconnected' },
      { t: 'nack', r: 1, code: 404, message: 'm' },
    ]);
  });
});

describe('decodeClientFrame rejects with ProtocolError, close code 4002', () => {
  it.each([
    ['non-JSON', 'hello', /not JSON/],
    ['truncated JSON', '{"t":"ack","a":1', /not JSON/],
    ['an array', '[{"t":"bye"}]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['a string', '"bye"', /not a JSON object/],
    ['a number', '42', /not a JSON object/],
    ['an empty frame', '', /empty frame/],
    ['only newlines', '\n\n', /empty frame/],
    ['an unknown type', '{"t":"hangup","s":1}', /unknown message type/],
    ['a subscribe without streamId', '{"t":"subscribe","s":1}', /"streamId" must be a string/],
    [
      'a publish with a bad videoType',
      '{"t":"publish","s":1,"hasAudio":true,"hasVideo":true,"videoType":"tv"}',
      /videoType/,
    ],
    [
      'a media with both sdp and candidate',
      '{"t":"media","s":1,"streamId":"x","subscriberId":"y","sdp":{"type":"offer","sdp":""},"candidate":{"candidate":""}}',
      /exactly one/,
    ],
    [
      'a media sdp of an unknown type',
      '{"t":"media","s":1,"streamId":"x","subscriberId":"y","sdp":{"type":"pranswer","sdp":""}}',
      /sdp.type/,
    ],
    ['a missing type', '{"s":1}', /unknown message type/],
    ['a server-only type', '{"t":"welcome"}', /unknown message type/],
    ['a string seq', '{"t":"signal","s":"1"}', /"s" must be a non-negative integer/],
    ['a negative seq', '{"t":"signal","s":-1}', /"s"/],
    ['a float seq', '{"t":"signal","s":1.5}', /"s"/],
    ['a seq past 2^53', '{"t":"signal","s":9007199254740992}', /"s"/],
    ['a missing seq', '{"t":"forceDisconnect","connectionId":"c"}', /"s"/],
    ['a float ack', '{"t":"ack","a":0.5}', /"a"/],
    ['a negative ping ack', '{"t":"ping","a":-3}', /"a"/],
    ['a ping without ack', '{"t":"ping"}', /"a"/],
    ['a numeric signal type', '{"t":"signal","s":1,"type":5}', /"type" must be a string/],
    ['an object signal data', '{"t":"signal","s":1,"data":{}}', /"data" must be a string/],
    ['a numeric to', '{"t":"signal","s":1,"to":7}', /"to" must be a string/],
    ['forceDisconnect without connectionId', '{"t":"forceDisconnect","s":1}', /"connectionId" must be a string/],
    ['a time request without s', '{"t":"time"}', /"s"/],
    ['one bad message among good ones', '{"t":"bye"}\n{"t":"nope"}', /unknown message type/],
  ])('%s', (_, frame, message) => {
    expectProtocolError(() => decodeClientFrame(frame), message);
  });

  it(`more than ${MAX_MESSAGES_PER_FRAME} messages in one frame`, () => {
    const frame = joinFrame(Array.from({ length: MAX_MESSAGES_PER_FRAME + 1 }, () => '{"t":"bye"}'));
    expectProtocolError(() => decodeClientFrame(frame), /257 messages; at most 256/);
  });

  it('server frames are not capped: a busy tick or a long replay batches hundreds of messages', () => {
    const frame = joinFrame(
      Array.from({ length: 600 }, (_, i) => encodeMessage({ t: 'signal', from: 'c', data: String(i) })),
    );
    const messages = decodeServerFrame(frame);
    expect(messages).toHaveLength(600);
    expect(messages[599]).toEqual({ t: 'signal', from: 'c', data: '599' });
  });
});

describe('decodeServerFrame rejects with ProtocolError, close code 4002', () => {
  const welcome = JSON.parse(encodeMessage(SERVER_MESSAGES[0]!)) as Record<string, unknown>;
  it.each([
    ['non-JSON', 'oops', /not JSON/],
    ['an unknown type', '{"t":"hello"}', /unknown message type/],
    ['a client-only type', '{"t":"bye"}', /unknown message type/],
    ['a signal without from', '{"t":"signal","type":"x"}', /"from" must be a string/],
    ['an unknown disconnect reason', '{"t":"connectionDestroyed","connectionId":"c","reason":"kicked"}', /reason/],
    ['a nack with a float r', '{"t":"nack","r":1.5,"code":1,"message":"m"}', /"r"/],
    ['a nack with a string code', '{"t":"nack","r":1,"code":"1","message":"m"}', /"code" must be a number/],
    ['a reply without r', '{"t":"reply","data":1}', /"r"/],
    ['a reply with a negative r', '{"t":"reply","r":-1}', /"r"/],
    ['a connectionCreated without connection', '{"t":"connectionCreated"}', /"connection" must be an object/],
    [
      'a connection with a string creationTime',
      '{"t":"connectionCreated","connection":{"connectionId":"c","creationTime":"now","data":""}}',
      /creationTime/,
    ],
    ['a negative ack', '{"t":"ack","a":-1}', /"a"/],
    [
      'a resumed with a float next',
      '{"t":"resumed","ack":1,"next":2.5,"heartbeatInterval":1,"heartbeatTimeout":1,"reconnectWindow":1}',
      /"next"/,
    ],
    ['a welcome of protocol version 2', JSON.stringify({ ...welcome, v: 2 }), /version/],
    ['a welcome with an unknown role', JSON.stringify({ ...welcome, role: 'admin' }), /role/],
    ['a welcome without limits', JSON.stringify({ ...welcome, limits: null }), /limits/],
    ['a welcome whose connections is not an array', JSON.stringify({ ...welcome, connections: {} }), /connections/],
    ['a welcome whose caps is not an array', JSON.stringify({ ...welcome, caps: 'reply' }), /caps/],
  ])('%s', (_, frame, message) => {
    expectProtocolError(() => decodeServerFrame(frame), message);
  });
});
