/**
 * Property-based tests of the REST body parser (fast-check): any bytes under any content type
 * become a plain object / field map or a RestError (400, or 413 past the cap), never another
 * throw; a JSON object body reads back equal.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutate, prng } from '@parley/testkit';
import { MAX_BODY_BYTES, readFields, readJsonObject } from '../src/rest/body.js';
import { RestError } from '../src/rest/respond.js';

/** A request stream carrying `body` in chunks, with the given headers. */
function request(body: Buffer, headers: Record<string, string>, chunk = 1024): IncomingMessage {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunk) parts.push(body.subarray(i, i + chunk));
  return Object.assign(Readable.from(parts), { headers }) as unknown as IncomingMessage;
}

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/x-www-form-urlencoded',
  'text/plain',
  'multipart/form-data; boundary=x',
  '',
  ';;;',
);

const body = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
  fc.json({ maxDepth: 4 }).map((s) => Buffer.from(s)),
  fc.tuple(fc.json({ maxDepth: 3 }), fc.integer()).map(([s, seed]) => Buffer.from(mutate(prng(seed), s, 5))),
  fc.constant(Buffer.alloc(MAX_BODY_BYTES + 1, 0x61)),
);

/** Either a value, or a RestError with 400 or 413; anything else fails the test. */
async function settle<T>(p: Promise<T>): Promise<T | RestError> {
  try {
    return await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RestError);
    expect([400, 413]).toContain((e as RestError).status);
    return e as RestError;
  }
}

describe('the REST body parser', () => {
  it('reads any body as an object or refuses it with 400/413', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        contentType,
        fc.boolean(),
        fc.integer({ min: 1, max: 4096 }),
        async (b, type, declare, chunk) => {
          const headers: Record<string, string> = { 'content-type': type };
          if (declare) headers['content-length'] = String(b.length);
          const json = await settle(readJsonObject(request(b, headers, chunk)));
          if (!(json instanceof RestError)) expect(Object.prototype.toString.call(json)).toBe('[object Object]');
          const fields = await settle(readFields(request(b, headers, chunk)));
          if (!(fields instanceof RestError)) for (const v of fields.values()) expect(typeof v).toBe('string');
          if (b.length > MAX_BODY_BYTES) expect(json).toMatchObject({ status: 413 });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('reads a JSON object body back equal, whatever the chunking', async () => {
    const object = fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 8 });
    await fc.assert(
      fc.asyncProperty(object, fc.integer({ min: 1, max: 64 }), async (o, chunk) => {
        const text = JSON.stringify(o);
        const read = await readJsonObject(request(Buffer.from(text), { 'content-type': 'application/json' }, chunk));
        expect(read).toEqual(JSON.parse(text));
      }),
      { numRuns: 200 },
    );
  });
});
