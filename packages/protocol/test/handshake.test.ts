import { describe, it, expect } from 'vitest';
import {
  CAPABILITIES_PARAM,
  PROTOCOL_VERSION,
  WS_PATH,
  handshakeQuery,
  parseHandshakeQuery,
  type HandshakeParams,
} from '@parley/protocol';

const parse = (query: string) => parseHandshakeQuery(new URLSearchParams(query));

describe('handshakeQuery / parseHandshakeQuery', () => {
  it('round-trips a join, with characters that need escaping in the token and session ID', () => {
    const join: HandshakeParams = {
      kind: 'join',
      apiKey: '123456',
      sessionId: '1_MX4x-_abc',
      token: 'T1==cGFy+dG5/lcl==&x=y z',
    };
    const query = handshakeQuery(join);
    expect(query.startsWith(`v=${PROTOCOL_VERSION}&`)).toBe(true);
    expect(query).not.toContain('caps');
    expect(parse(query)).toEqual({ ...join, caps: [] });
    expect(WS_PATH).toBe('/v1/ws');
  });

  it('round-trips a resume', () => {
    const resume: HandshakeParams = {
      kind: 'resume',
      apiKey: '123456',
      sessionId: 's',
      connectionId: 'conn-a',
      resumeKey: 'k/+=&',
      ack: 42,
    };
    expect(parse(handshakeQuery(resume))).toEqual(resume);
    expect(parse(handshakeQuery({ ...resume, ack: 0 }))).toEqual({ ...resume, ack: 0 });
  });

  it('treats a missing v as version 1 and refuses any other version', () => {
    expect(parse('apiKey=k&sessionId=s&token=t')).toEqual({
      kind: 'join',
      apiKey: 'k',
      sessionId: 's',
      token: 't',
      caps: [],
    });
    expect(parse('v=2&apiKey=k&sessionId=s&token=t')).toBe('unsupported protocol version 2');
  });

  it('reads missing join fields as empty strings, for the server to refuse', () => {
    expect(parse('v=1')).toEqual({ kind: 'join', apiKey: '', sessionId: '', token: '', caps: [] });
  });

  it('carries a join\'s capabilities in "caps", and reads none from an old client', () => {
    const join: HandshakeParams = { kind: 'join', apiKey: 'k', sessionId: 's', token: 't', caps: ['reply'] };
    const query = handshakeQuery(join);
    expect(new URLSearchParams(query).get(CAPABILITIES_PARAM)).toBe('reply');
    expect(parse(query)).toEqual(join);
    expect(handshakeQuery({ ...join, caps: [] })).not.toContain(CAPABILITIES_PARAM);
  });

  it('drops capability names it does not know and duplicates, and never refuses a join for them', () => {
    expect(parse('v=1&apiKey=k&sessionId=s&token=t&caps=hologram,reply,,reply,REPLY')).toEqual({
      kind: 'join',
      apiKey: 'k',
      sessionId: 's',
      token: 't',
      caps: ['reply'],
    });
    expect(parse('v=1&apiKey=k&sessionId=s&token=t&caps=')).toMatchObject({ caps: [] });
  });

  it('a resume carries no capabilities: the connection keeps what its join was granted', () => {
    const query = handshakeQuery({
      kind: 'resume',
      apiKey: 'k',
      sessionId: 's',
      connectionId: 'c',
      resumeKey: 'r',
      ack: 1,
    });
    expect(query).not.toContain(CAPABILITIES_PARAM);
  });

  it.each([
    ['a missing ack', 'v=1&resume=c&key=k'],
    ['an empty ack', 'v=1&resume=c&key=k&ack='],
    ['a negative ack', 'v=1&resume=c&key=k&ack=-1'],
    ['a fractional ack', 'v=1&resume=c&key=k&ack=1.5'],
    ['a hexadecimal ack', 'v=1&resume=c&key=k&ack=0x10'],
    ['an ack past 2^53', 'v=1&resume=c&key=k&ack=9007199254740993'],
  ])('refuses a resume with %s', (_, query) => {
    expect(parse(query)).toBe('resume needs a non-negative integer "ack"');
  });

  it('refuses a resume without a key or with an empty connection ID', () => {
    expect(parse('v=1&resume=c&ack=1')).toBe('resume needs "resume" and "key"');
    expect(parse('v=1&resume=&key=k&ack=1')).toBe('resume needs "resume" and "key"');
  });
});
