/**
 * Raw TCP exchanges for the fuzz run: bytes in, whatever comes back until the server closes (or a
 * deadline), and the few parsers needed to read an HTTP status and a WebSocket close frame.
 */
import { connect } from 'node:net';

/** What came back. `timedOut`: the deadline passed with the socket still open (we destroyed it). */
export interface RawAnswer {
  readonly bytes: Buffer;
  readonly timedOut: boolean;
  readonly error: string | undefined;
}

/**
 * Connect, write `request` (in one piece, or cut at `cutAt` and then left open or ended), read
 * until the server closes, `enough(bytes so far)` says the answer is complete, or `deadlineMs` passes.
 */
export function exchange(
  port: number,
  request: Buffer,
  options: { deadlineMs: number; end?: boolean; cutAt?: number; enough?: (bytes: Buffer) => boolean },
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let timedOut = false;
    const socket = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, options.deadlineMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // Hang up as soon as the answer is complete (a refused upgrade waits for our close otherwise).
      if (options.enough?.(Buffer.concat(chunks)) === true) socket.destroy();
    });
    socket.on('error', (e: Error & { code?: string }) => {
      error = e.code ?? e.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(chunks), timedOut, error });
    });
    socket.on('connect', () => {
      const part = options.cutAt === undefined ? request : request.subarray(0, options.cutAt);
      socket.write(part);
      if (options.end === true) socket.end();
    });
  });
}

/** The status code of an HTTP response's first line; undefined when there is none. */
export function httpStatus(bytes: Buffer): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(bytes.subarray(0, 16).toString('latin1'));
  return m === null ? undefined : Number(m[1]);
}

/**
 * After a 101, the first server frame: its opcode, and for a close frame its code. Undefined when
 * there is no complete frame.
 */
export function firstFrame(bytes: Buffer): { opcode: number; closeCode: number | undefined } | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const frame = bytes.subarray(end + 4);
  if (frame.length < 2) return undefined;
  const opcode = (frame[0] as number) & 0x0f;
  const len = (frame[1] as number) & 0x7f;
  if (opcode !== 0x8) return { opcode, closeCode: undefined };
  return { opcode, closeCode: len >= 2 && frame.length >= 4 ? frame.readUInt16BE(2) : undefined };
}

/** A WebSocket upgrade request for `target` (path and query), with a fixed key. */
export function upgradeRequest(target: string, port: number, extraHeaders = ''): string {
  return (
    `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`
  );
}

/** An upgrade's answer is complete: a status other than 101, or a 101 and its first frame. */
export function upgradeAnswered(bytes: Buffer): boolean {
  const status = httpStatus(bytes);
  return status !== undefined && (status !== 101 || firstFrame(bytes) !== undefined);
}
