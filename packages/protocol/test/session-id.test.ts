import { describe, it, expect } from 'vitest';
import { parseSessionId } from '@parley/protocol';
import { mintSessionId } from '@parley/server-sdk';

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('parseSessionId', () => {
  it('reads IDs minted by @parley/server-sdk', () => {
    const relayed = parseSessionId(mintSessionId('123456', { relayed: true, location: '10.0.0.1' }));
    expect(relayed).toMatchObject({ apiKey: '123456', location: '10.0.0.1', relayed: true });
    expect(relayed?.createTime).toMatch(/^\d{13}$/);
    expect(relayed?.random).toMatch(/^[A-Za-z0-9+/]{24}$/);
    expect(parseSessionId(mintSessionId('47665971', { relayed: false }))).toMatchObject({
      apiKey: '47665971',
      location: '',
      relayed: false,
    });
  });

  it.each([
    [
      '1_MX40NTkxNjY3Mn5-MTUwMDExODUyOTQ3MH5kdk5oTXFDTm4zbmpLTVlxYnI5ZGpEQmV-UH4',
      {
        apiKey: '45916672',
        location: '',
        createTime: '1500118529470',
        random: 'dvNhMqCNn3njKMYqbr9djDBe',
        relayed: true,
      },
    ],
    [
      '1_MX40NzEzMTM0NH5-MTYxMzY3ODkwNzYwMn45WjhSclpjYUlHNXdKaWdvYUxHZFBaTUp-fg',
      {
        apiKey: '47131344',
        location: '',
        createTime: '1613678907602',
        random: '9Z8RrZcaIG5wJigoaLGdPZMJ',
        relayed: false,
      },
    ],
    [
      '1_MX40NzY2NTk3MX5-MTczOTUzODg5NDk1OX5ROW1jWEcxUXJOM1RJWXU4eStwcHgvZ3N-UH5-',
      {
        apiKey: '47665971',
        location: '',
        createTime: '1739538894959',
        random: 'Q9mcXG1QrN3TIYu8y+ppx/gs',
        relayed: true,
      },
    ],
    [
      '1_MX4xMjM0NTZ-flNhdCBNYXIgMTUgMTQ6NDI6MjMgUERUIDIwMTR-MC40OTAxMzAyNX4',
      {
        apiKey: '123456',
        location: '',
        createTime: 'Sat Mar 15 14:42:23 PDT 2014',
        random: '0.49013025',
        relayed: false,
      },
    ],
    [
      '1_MX4xMjM0NTZ-fjE3MDAwMDAwMDAwMDB-cTNWN2JYbzkrTG0yL1B6MEFiQ2RFZkdoflB-',
      {
        apiKey: '123456',
        location: '',
        createTime: '1700000000000',
        random: 'q3V7bXo9+Lm2/Pz0AbCdEfGh',
        relayed: true,
      },
    ],
  ])('reads the real platform sample %s (layout: opentok@2.23.2 lib/opentok.js decodeSessionId)', (id, expected) => {
    expect(parseSessionId(id)).toEqual(expected);
  });

  it('does not check the two-character prefix, and accepts the minimal "~key" layout', () => {
    expect(parseSessionId('xyMX40NTkxNjY3Mn5-MTUwMDExODUyOTQ3MH5kdk5oTXFDTm4zbmpLTVlxYnI5ZGpEQmV-UH4')?.apiKey).toBe(
      '45916672',
    );
    expect(parseSessionId(`1_${b64url('~123456')}`)).toEqual({
      apiKey: '123456',
      location: '',
      createTime: '',
      random: '',
      relayed: false,
    });
  });

  it.each([
    ['the empty string', ''],
    ['too short', '1_a'],
    ['characters outside base64url', '1_MX4xMjM0NTZ+fn5+'],
    ['padding', '1_MX4xMjM0NTZ-fg=='],
    ['an impossible base64 length', '1_MX4xM'],
    ['no "~" at all', `1_${b64url('hello world')}`],
    ['an empty API key field', `1_${b64url('1~~~123~abc~P~')}`],
    ['invalid UTF-8', `1_${Buffer.from([0x31, 0x7e, 0xff, 0xfe, 0x7e]).toString('base64url')}`],
    ['over 255 characters', `1_${b64url(`1~123456~${'x'.repeat(300)}~`)}`],
  ])('returns null for %s', (_, id) => {
    expect(parseSessionId(id)).toBeNull();
  });

  it('returns null for non-strings', () => {
    expect(parseSessionId(undefined as unknown as string)).toBeNull();
    expect(parseSessionId(123456 as unknown as string)).toBeNull();
  });
});
