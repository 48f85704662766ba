/**
 * Request body reading with a size cap, and the two body formats the OpenTok SDK sends:
 * `application/x-www-form-urlencoded` (createSession only) and `application/json` (the rest).
 */
import type { IncomingMessage } from 'node:http';
import { RestError } from './respond.js';

/** Largest request body accepted, in bytes. Larger: 413. A signal (8 KiB of data) fits easily. */
export const MAX_BODY_BYTES = 64 * 1024;

const TOO_LARGE = `Request body is larger than ${MAX_BODY_BYTES} bytes`;

/**
 * Read the whole request body, refusing more than `limit` bytes with a 413 {@link RestError}
 * (raised as soon as `Content-Length` or the bytes read so far exceed it).
 * @example const bytes = await readBody(req);
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    // `Connection: close` so the unread remainder of the body cannot be taken for the next request.
    return Promise.reject(new RestError(413, TOO_LARGE, { Connection: 'close' }));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: RestError | null): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (error === null) {
        resolve(Buffer.concat(chunks, size));
        return;
      }
      req.resume(); // drain and discard the rest instead of leaving the socket stuck
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) finish(new RestError(413, TOO_LARGE, { Connection: 'close' }));
      else chunks.push(chunk);
    };
    const onEnd = (): void => {
      finish(null);
    };
    const onError = (): void => {
      finish(new RestError(400, 'The request body could not be read'));
    };
    const onAborted = (): void => {
      finish(new RestError(400, 'The request was aborted'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** The media type of a request, lower-cased, without parameters (`application/json; charset=utf-8` → `application/json`). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RestError(400, 'The request body is not valid UTF-8');
  }
}

/**
 * Read a JSON object body. An empty body is `{}`; anything that is not a JSON object
 * (malformed text, an array, a string…) is a 400. A form-encoded body is accepted too.
 * @example const { type, data } = await readJsonObject(req);
 */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = decodeUtf8(await readBody(req));
  if (mediaType(req) === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  if (text.trim().length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RestError(400, 'The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RestError(400, 'The request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Read a flat map of string fields: form-encoded (what the SDK sends to `/session/create`), or a
 * JSON object whose scalar values are turned into strings and whose one-level nested objects are
 * flattened with dots (`{"p2p":{"preference":"enabled"}}` → `p2p.preference`). The first value of
 * a repeated form field wins.
 * @example (await readFields(req)).get('archiveMode') // 'manual'
 */
export async function readFields(req: IncomingMessage): Promise<Map<string, string>> {
  const fields = new Map<string, string>();
  if (mediaType(req) === 'application/json') {
    const add = (key: string, value: unknown): void => {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        if (!fields.has(key)) fields.set(key, String(value));
      }
    };
    for (const [key, value] of Object.entries(await readJsonObject(req))) {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        for (const [inner, v] of Object.entries(value)) add(`${key}.${inner}`, v);
      } else {
        add(key, value);
      }
    }
    return fields;
  }
  const text = decodeUtf8(await readBody(req));
  for (const [key, value] of new URLSearchParams(text)) {
    if (!fields.has(key)) fields.set(key, value);
  }
  return fields;
}
