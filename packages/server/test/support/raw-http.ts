/**
 * Raw HTTP over a `net` socket, for requests no HTTP client would send (garbage, oversized
 * headers, a slowloris that never finishes its headers), and the check that the SERVER closed
 * the socket afterwards.
 */
import { connect, type Socket } from 'node:net';

/** Probe bytes written after the server's FIN, at most. */
const MAX_PROBES = 64;

/** The server's answer, parsed, and how the connection ended. */
export interface RawAnswer {
  /** Everything the server sent. */
  readonly text: string;
  /** Status code of the first status line; 0 when nothing was sent. */
  readonly status: number;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

function parse(text: string): RawAnswer {
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {
    text,
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0),
    headers,
    body: split < 0 ? '' : text.slice(split + 4),
  };
}

/**
 * Open a half-open-capable socket (so OUR side never sends a FIN that would let a half-closing
 * server off the hook), send `payload`, and resolve once the server has closed the connection;
 * reject if it has not after `ms`.
 *
 * How "the server closed it" is observed: after the server's FIN we write one byte at a time, one
 * per event-loop turn, at most {@link MAX_PROBES}. A server that destroyed its socket answers the
 * first byte with a TCP reset, and the next write fails (EPIPE), which closes ours. A server that
 * only half-closed (`socket.end()` under `allowHalfOpen`) takes the bytes silently and keeps the
 * connection, so the wait runs into its deadline. (The bound keeps the probes far below anything
 * the server's parser would refuse on its own: it must not be the probes that get us closed.)
 * @example const answer = await sendAndAwaitClose(port, 'GARBAGE\r\n\r\n');
 */
export function sendAndAwaitClose(port: number, payload: string, ms = 5000): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket: Socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const text = (): string => Buffer.concat(chunks).toString('latin1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close the socket within ${ms} ms; it sent ${JSON.stringify(text())}`));
    }, ms);
    socket.on('connect', () => {
      if (payload !== '') socket.write(payload);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    let probes = 0;
    const probe = (): void => {
      if (probes >= MAX_PROBES || socket.destroyed || !socket.writable) return;
      probes += 1;
      socket.write('x', (err) => {
        if (err === undefined || err === null) setImmediate(probe);
      });
    };
    socket.on('end', probe);
    socket.on('error', () => {
      // ECONNRESET / EPIPE: the reset that proves the server let go of the socket.
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parse(text()));
    });
  });
}
