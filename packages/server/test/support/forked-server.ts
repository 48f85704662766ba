/**
 * A Parley server in a child process (memory-server.mjs), with its memory read over IPC, and
 * raw WebSocket peers that never read (TCP reading paused): what a hostile client does.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { handshakeQuery } from '@parley/protocol';
import { generateToken, Parley } from '@parley/server-sdk';
import { waitFor } from '@parley/testkit';
import { WebSocket } from 'ws';

export const FORK_KEY = '31415926';
export const FORK_SECRET = 'forked-server-secret-0123456789abcdef0123';

export interface Memory {
  readonly heapUsed: number;
  readonly external: number;
  readonly rss: number;
}

type FromChild = { t: 'ready'; url: string; wsUrl: string } | ({ t: 'memory' } & Memory);

export class ForkedServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly wsUrl: string,
  ) {}

  static async start(): Promise<ForkedServer> {
    const script = fileURLToPath(new URL('./memory-server.mjs', import.meta.url));
    const child = fork(script, [FORK_KEY, FORK_SECRET], { execArgv: ['--expose-gc'], stdio: 'inherit' });
    const ready = await waitFor<{ url: string; wsUrl: string }>(
      (resolve, reject) => {
        child.on('message', (m: FromChild) => {
          if (m.t === 'ready') resolve(m);
        });
        child.once('exit', (code) => {
          reject(new Error(`server process exited with ${String(code)} before it was ready`));
        });
      },
      15_000,
      'forked server ready',
    );
    return new ForkedServer(child, ready.url, ready.wsUrl);
  }

  /** The server's memory after two full GCs. */
  memory(): Promise<Memory> {
    return waitFor<Memory>(
      (resolve) => {
        const onMessage = (m: FromChild) => {
          if (m.t !== 'memory') return;
          this.child.off('message', onMessage);
          resolve({ heapUsed: m.heapUsed, external: m.external, rss: m.rss });
        };
        this.child.on('message', onMessage);
        this.child.send('memory');
      },
      10_000,
      'server memory report',
    );
  }

  async createSession(): Promise<string> {
    return (await new Parley(FORK_KEY, FORK_SECRET, { apiUrl: this.url }).createSession()).sessionId;
  }

  joinUrl(sessionId: string, data = ''): string {
    const token = generateToken(FORK_KEY, FORK_SECRET, sessionId, { data });
    return `${this.wsUrl}?${handshakeQuery({ kind: 'join', apiKey: FORK_KEY, sessionId, token })}`;
  }

  /** Ask the server to close and wait for the process to exit (killed after a deadline). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = waitFor(
      (resolve) => {
        this.child.once('exit', () => {
          resolve();
        });
      },
      10_000,
      'server process exit',
    );
    this.child.send('stop');
    await exited.catch(() => {
      this.child.kill('SIGKILL');
    });
  }
}

/**
 * A WebSocket peer that reads nothing after the upgrade: its TCP reading is paused, so what the
 * server writes piles up in the kernel and then at the server. It can still write, and it learns
 * of the close only through the TCP connection ending (`ended`).
 */
export class DeafPeer {
  readonly ws: WebSocket;
  ended = false;
  #socket: Socket | undefined;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('error', () => {});
  }

  async open(): Promise<void> {
    await waitFor(
      (resolve, reject) => {
        this.ws.once('open', () => {
          resolve();
        });
        this.ws.once('close', (code) => {
          reject(new Error(`closed with ${code} before open`));
        });
      },
      5000,
      'deaf peer open',
    );
    // The welcome may already be read; everything after it is not.
    const socket = (this.ws as unknown as { _socket: Socket })._socket;
    this.#socket = socket;
    socket.pause();
    socket.once('close', () => {
      this.ended = true;
    });
  }

  /** Send one frame; false once the socket is gone or the local send buffer is over `highWater`. */
  send(frame: string, highWater = 1 << 20): boolean {
    if (this.ended || this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.ws.bufferedAmount > highWater) return false;
    this.ws.send(frame);
    return true;
  }

  /** Resolves when the server has ended the TCP connection. */
  closedByServer(ms: number): Promise<void> {
    return waitFor(
      (resolve) => {
        if (this.ended) resolve();
        else
          this.#socket?.once('close', () => {
            resolve();
          });
      },
      ms,
      'the server to close the deaf peer',
    );
  }

  destroy(): void {
    this.ws.terminate();
  }
}
