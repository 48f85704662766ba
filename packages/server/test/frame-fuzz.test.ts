/**
 * Property-based test of the server's frame handling over real WebSockets (fast-check): random,
 * mutated and valid frames from joined clients get an answer or one of the documented closes
 * (1000 after `bye`, 1009 too big, 4002 protocol error, 4029 flood), never an abnormal close, and
 * an honest pair in the same session keeps exchanging signals in order throughout.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '@parley/protocol';
import { clientFrameArb, encodeFrame, garbageTextArb, mutate, prng } from '@parley/testkit';
import { Harness, type Joined } from './support/harness.js';

/** The closes PROTOCOL.md documents for what a client sends. */
const DOCUMENTED = new Set<number>([
  CloseCode.Normal,
  CloseCode.MessageTooBig,
  CloseCode.ProtocolError,
  CloseCode.Flood,
]);

const frameInput = fc.oneof(
  garbageTextArb.map((text) => ({ text })),
  clientFrameArb().map((m) => ({ text: encodeFrame(m) })),
  fc.tuple(clientFrameArb(), fc.integer()).map(([m, seed]) => ({ text: mutate(prng(seed), encodeFrame(m), 4) })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ binary: Buffer.from(bytes) })),
  fc.constant({ text: 'x'.repeat(300 * 1024) }),
);

let h: Harness;
let sessionId: string;
let a: Joined;
let b: Joined;
let sent = 0;
beforeAll(async () => {
  h = await Harness.start();
  sessionId = await h.session();
  a = await h.join(sessionId, { data: 'honest-a' });
  b = await h.join(sessionId, { data: 'honest-b' });
});
afterAll(async () => {
  await h.stop();
});

/** One honest signal a → b, checked to arrive next in a's order. */
async function honestRoundTrip(): Promise<void> {
  const n = ++sent;
  a.client.send({ t: 'signal', s: n, type: 'honest', data: String(n), to: b.welcome.connection.connectionId });
  const got = await b.client.nextOf('signal', 5000, (m) => m.type === 'honest');
  expect(got.data).toBe(String(n));
  b.client.ack();
}

describe('frame handling under fuzzed frames', () => {
  it('answers or closes with a documented code, and the honest pair is unaffected', async () => {
    await fc.assert(
      fc.asyncProperty(frameInput, async (input) => {
        const fuzzer = await h.join(sessionId, { data: 'fuzzer' });
        const pongs = (): number => fuzzer.client.all('pong').length;
        const before = pongs();
        if ('binary' in input) fuzzer.client.ws.send(input.binary, { binary: true });
        else fuzzer.client.ws.send(input.text);
        // A ping after the frame: a pong says the server read the frame and carried on.
        if (fuzzer.client.ws.readyState === fuzzer.client.ws.OPEN) fuzzer.client.send({ t: 'ping', a: 0 });
        await fuzzer.client.until(
          'a pong or a close',
          () => fuzzer.client.closed !== undefined || pongs() > before,
          5000,
        );
        if (fuzzer.client.closed !== undefined) expect(DOCUMENTED).toContain(fuzzer.client.closed.code);
        else fuzzer.client.ws.close(1000);
        await honestRoundTrip();
      }),
      { numRuns: 60 },
    );
    expect(a.client.closed).toBeUndefined();
    expect(b.client.closed).toBeUndefined();
    // Every honest signal arrived once, in order.
    const honest = b.client.all('signal').filter((m) => m.type === 'honest');
    expect(honest.map((m) => m.data)).toEqual(Array.from({ length: sent }, (_, i) => String(i + 1)));
  });
});
