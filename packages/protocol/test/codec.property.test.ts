/**
 * Property-based tests of the codec (fast-check): whatever arrives, decoding yields typed
 * messages or throws a ProtocolError (close 4002), never anything else; and every valid message
 * of the union survives encode → decode unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CloseCode,
  MAX_MESSAGES_PER_FRAME,
  ProtocolError,
  decodeClientFrame,
  decodeServerFrame,
  type ClientMessage,
  type ServerMessage,
} from '@parley/protocol';
import {
  clientFrameArb,
  clientMessageArb,
  encodeFrame,
  garbageTextArb,
  mutate,
  prng,
  serverMessageArb,
} from '@parley/testkit';

const RUNS = { numRuns: 400 };

/** Run `decode`; a throw must be a ProtocolError with the protocol-error close code. */
function decodeOrProtocolError<T>(decode: (s: string) => T[], input: string): T[] | ProtocolError {
  try {
    return decode(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).closeCode).toBe(CloseCode.ProtocolError);
    expect((e as ProtocolError).message.length).toBeLessThan(200);
    return e as ProtocolError;
  }
}

/** What a message is after a trip through JSON (-0 becomes 0, and so on). */
const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** An input from every family: raw text, bytes read as UTF-8, JSON of any shape, mutated valid frames. */
const anyInput = fc.oneof(
  garbageTextArb,
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('utf8')),
  fc.tuple(clientFrameArb(), fc.integer()).map(([m, seed]) => mutate(prng(seed), encodeFrame(m))),
  fc
    .tuple(fc.array(serverMessageArb, { minLength: 1, maxLength: 4 }), fc.integer())
    .map(([m, seed]) => mutate(prng(seed), encodeFrame(m))),
);

describe('decodeClientFrame', () => {
  it('turns any input into client messages or a ProtocolError', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const out = decodeOrProtocolError(decodeClientFrame, input);
        // Whatever it accepted is a well-formed message: it survives its own round trip.
        if (Array.isArray(out)) expect(decodeClientFrame(encodeFrame(out))).toEqual(out);
      }),
      RUNS,
    );
  });

  it('round-trips every valid client message, alone and batched', () => {
    fc.assert(
      fc.property(clientFrameArb(), (messages: ClientMessage[]) => {
        expect(decodeClientFrame(encodeFrame(messages))).toEqual(viaJson(messages));
      }),
      RUNS,
    );
  });

  it('refuses a frame batching more than MAX_MESSAGES_PER_FRAME messages', () => {
    fc.assert(
      fc.property(clientMessageArb, fc.integer({ min: 1, max: 8 }), (m, extra) => {
        const frame = encodeFrame(Array.from({ length: MAX_MESSAGES_PER_FRAME + extra }, () => m));
        expect(decodeOrProtocolError(decodeClientFrame, frame)).toBeInstanceOf(ProtocolError);
      }),
      { numRuns: 20 },
    );
  });
});

describe('decodeServerFrame', () => {
  it('turns any input into server messages or a ProtocolError', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        decodeOrProtocolError(decodeServerFrame, input);
      }),
      RUNS,
    );
  });

  it('round-trips every valid server message, alone and batched', () => {
    fc.assert(
      fc.property(fc.array(serverMessageArb, { minLength: 1, maxLength: 8 }), (messages: ServerMessage[]) => {
        expect(decodeServerFrame(encodeFrame(messages))).toEqual(viaJson(messages));
      }),
      RUNS,
    );
  });
});
