/**
 * A scripted fake Parley server: a `ws` WebSocketServer on 127.0.0.1, port 0. It does nothing on
 * its own except answer `ping` with `pong` (switchable); each test decides what to send.
 */
import type { AddressInfo } from 'node:net';
import {
  decodeClientFrame,
  encodeMessage,
  joinFrame,
  type ClientMessage,
  type ConnectionInfo,
  type Role,
  type ServerMessage,
  type WelcomeMessage,
  type WireCapability,
} from '@parley/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { deadline } from './wait.js';

export class FakeClient {
  readonly received: ClientMessage[] = [];
  /** Answer every ping with a pong. */
  autoPong = true;
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  constructor(
    readonly socket: WebSocket,
    readonly query: URLSearchParams,
  ) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
      });
    });
    socket.on('message', (data) => {
      // Text frames only (the client never sends binary); ws hands them over as a Buffer.
      for (const message of decodeClientFrame((data as Buffer).toString())) {
        this.received.push(message);
        if (message.t === 'ping' && this.autoPong) this.send({ t: 'pong' });
      }
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
  }

  get kind(): 'join' | 'resume' {
    return this.query.has('resume') ? 'resume' : 'join';
  }

  /** Send messages in one frame. */
  send(...messages: ServerMessage[]): void {
    this.socket.send(joinFrame(messages.map(encodeMessage)));
  }

  /** Close with a code (the close handshake completes). */
  close(code: number, reason = ''): void {
    this.socket.close(code, reason);
  }

  /** Drop the TCP connection without a close frame (the client sees 1006). */
  terminate(): void {
    this.socket.terminate();
  }

  /** Wait for the first received message matching `pred` (already received ones count). */
  async next<T extends ClientMessage>(pred: (m: ClientMessage) => m is T, ms?: number): Promise<T>;
  async next(pred: (m: ClientMessage) => boolean, ms?: number): Promise<ClientMessage>;
  async next(pred: (m: ClientMessage) => boolean, ms = 2000): Promise<ClientMessage> {
    return deadline(
      new Promise<ClientMessage>((resolve) => {
        const check = (): void => {
          const found = this.received.find(pred);
          if (found !== undefined) resolve(found);
          else this.waiters.push(check);
        };
        check();
      }),
      ms,
      'a client message',
    );
  }

  /** Requests (signal, forceDisconnect) received so far. */
  requests(): Extract<ClientMessage, { s: number }>[] {
    return this.received.filter((m): m is Extract<ClientMessage, { s: number }> => 's' in m);
  }
}

export interface WelcomeOptions {
  connectionId?: string;
  role?: Role;
  others?: ConnectionInfo[];
  heartbeatInterval?: number;
  heartbeatTimeout?: number;
  reconnectWindow?: number;
  data?: string;
  /** `welcome.caps`; absent (undefined): a welcome from a server built before capabilities. */
  caps?: readonly WireCapability[];
}

export function welcome(options: WelcomeOptions = {}): WelcomeMessage {
  return {
    t: 'welcome',
    v: 1,
    connection: { connectionId: options.connectionId ?? 'me', creationTime: 1000, data: options.data ?? 'me-data' },
    role: options.role ?? 'publisher',
    connections: options.others ?? [],
    resumeKey: 'key-1',
    heartbeatInterval: options.heartbeatInterval ?? 2500,
    heartbeatTimeout: options.heartbeatTimeout ?? 7000,
    reconnectWindow: options.reconnectWindow ?? 30_000,
    limits: { maxSignalTypeLength: 128, maxSignalDataLength: 8192, maxClientFrameBytes: 256 * 1024 },
    ...(options.caps !== undefined && { caps: options.caps }),
  };
}

export function peer(connectionId: string, data = `${connectionId}-data`): ConnectionInfo {
  return { connectionId, creationTime: 500, data };
}

export class FakeServer {
  private readonly pending: FakeClient[] = [];
  private waiters: ((c: FakeClient) => void)[] = [];
  readonly clients: FakeClient[] = [];

  private constructor(private readonly wss: WebSocketServer) {
    wss.on('connection', (socket, req) => {
      const client = new FakeClient(socket, new URL(req.url ?? '/', 'http://x').searchParams);
      this.clients.push(client);
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(client);
      else this.pending.push(client);
    });
  }

  /** @param path - the WebSocket path it answers on (another path is refused with 400) */
  static async start(path = '/v1/ws'): Promise<FakeServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    return new FakeServer(wss);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  /** The next socket a client opens. */
  nextClient(ms = 2000): Promise<FakeClient> {
    const ready = this.pending.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return deadline(new Promise<FakeClient>((resolve) => this.waiters.push(resolve)), ms, 'a client socket');
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.socket.terminate();
    await new Promise<void>((resolve) => {
      this.wss.close(() => {
        resolve();
      });
    });
  }
}
