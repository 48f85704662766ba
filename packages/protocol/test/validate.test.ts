import { describe, it, expect } from 'vitest';
import { MAX_SIGNAL_DATA_LENGTH, MAX_SIGNAL_TYPE_LENGTH, SessionErrorCode, validateSignal } from '@parley/protocol';

describe('validateSignal', () => {
  it('accepts a type of exactly 128 characters and refuses 129 with 1461', () => {
    expect(MAX_SIGNAL_TYPE_LENGTH).toBe(128);
    expect(validateSignal({ type: 'a'.repeat(128) })).toBeNull();
    expect(validateSignal({ type: 'a'.repeat(129) })).toEqual({
      code: SessionErrorCode.InvalidSignalType,
      message: 'signal type is 129 characters; at most 128 allowed',
    });
    expect(SessionErrorCode.InvalidSignalType).toBe(1461);
  });

  it.each(['.', '~', '-', '_', 'a.b~c-d_e', 'Chat9', 'x'])('accepts the type %j', (type) => {
    expect(validateSignal({ type })).toBeNull();
  });

  it.each(['a b', ' ', 'chat!', 'a/b', 'émoji', 'a\nb', 'a+b', 'a:b'])('refuses the type %j with 1461', (type) => {
    expect(validateSignal({ type })?.code).toBe(1461);
  });

  it('allows an absent or empty type (no type)', () => {
    expect(validateSignal({})).toBeNull();
    expect(validateSignal({ type: '' })).toBeNull();
    expect(validateSignal({ type: '', data: '' })).toBeNull();
  });

  it('accepts data of exactly 8192 characters and refuses 8193 with 1413', () => {
    expect(MAX_SIGNAL_DATA_LENGTH).toBe(8192);
    expect(validateSignal({ data: 'd'.repeat(8192) })).toBeNull();
    expect(validateSignal({ data: 'd'.repeat(8193) })).toEqual({
      code: SessionErrorCode.SignalDataTooLong,
      message: 'signal data is 8193 characters; at most 8192 allowed',
    });
    expect(SessionErrorCode.SignalDataTooLong).toBe(1413);
  });

  it('counts data in UTF-16 units, so 4097 emoji are too long', () => {
    expect(validateSignal({ data: '😀'.repeat(4096) })).toBeNull();
    expect(validateSignal({ data: '😀'.repeat(4097) })?.code).toBe(1413);
  });

  it('refuses a non-string type (1461) and non-string data (1011)', () => {
    expect(validateSignal({ type: 5 })?.code).toBe(1461);
    expect(validateSignal({ type: null })?.code).toBe(1461);
    expect(validateSignal({ data: 5 })).toEqual({
      code: SessionErrorCode.NullOrInvalidParameter,
      message: 'signal data must be a string',
    });
  });

  it('checks the type before the data, and honours configured limits', () => {
    expect(validateSignal({ type: 'a b', data: 'd'.repeat(9000) })?.code).toBe(1461);
    expect(validateSignal({ type: 'abcd' }, 3)?.code).toBe(1461);
    expect(validateSignal({ data: 'abcd' }, 128, 3)?.code).toBe(1413);
  });
});
