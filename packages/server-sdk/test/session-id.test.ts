import { describe, it, expect } from 'vitest';
import OpenTok from 'opentok';
import { parseSessionId } from '@parley/protocol';
import { mintSessionId } from '@parley/server-sdk';

const API_KEY = '123456';
const SECRET = 'secret';
const official = new OpenTok(API_KEY, SECRET);

describe('mintSessionId', () => {
  it('produces "1_" + unpadded base64url of 1~key~location~ms~random24~P~ for a relayed session', () => {
    const before = Date.now();
    const id = mintSessionId(API_KEY, { relayed: true });
    expect(id).toMatch(/^1_[A-Za-z0-9_-]+$/);
    const raw = Buffer.from(id.slice(2), 'base64url').toString('utf8');
    const match = /^1~123456~~(\d{13})~([A-Za-z0-9+/]{24})~P~$/.exec(raw);
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(before);
    expect(Number(match![1])).toBeLessThanOrEqual(Date.now());
  });

  it('leaves field 5 empty for a routed session and carries the location in field 2', () => {
    const id = mintSessionId(API_KEY, { relayed: false, location: '12.34.56.78' });
    const fields = Buffer.from(id.slice(2), 'base64url').toString('utf8').split('~');
    expect(fields[2]).toBe('12.34.56.78');
    expect(fields[5]).toBe('');
    expect(mintSessionId(API_KEY)).not.toBe(mintSessionId(API_KEY));
  });

  it('is parsed by @parley/protocol parseSessionId with the right key and media mode', () => {
    expect(parseSessionId(mintSessionId(API_KEY, { relayed: true }))).toMatchObject({ apiKey: API_KEY, relayed: true });
    expect(parseSessionId(mintSessionId('4242', {}))).toMatchObject({ apiKey: '4242', relayed: false, location: '' });
  });

  it('is accepted by the official SDK generateToken in both formats, which checks field 1 against its API key', () => {
    const id = mintSessionId(API_KEY, { relayed: false });
    expect(official.generateToken(id)).toMatch(/^eyJ/);
    expect(official.generateToken(id, {}, true)).toMatch(/^T1==/);
    expect(() => new OpenTok('654321', SECRET).generateToken(id)).toThrow(
      'Token cannot be generated unless the session belongs to the API Key',
    );
  });

  it('rejects an empty or "~"-bearing API key and a location with "~" with a TypeError', () => {
    expect(() => mintSessionId('')).toThrow(TypeError);
    expect(() => mintSessionId('12~34')).toThrow(/apiKey must be 1 to 64 characters/);
    expect(() => mintSessionId(API_KEY, { location: 'a~b' })).toThrow(/location must be/);
    expect(() => mintSessionId(API_KEY, { relayed: 'yes' as unknown as boolean })).toThrow(
      'relayed must be a boolean, got "yes"',
    );
  });
});
