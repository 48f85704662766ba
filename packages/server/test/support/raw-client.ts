/**
 * A raw WebSocket client for the protocol conformance tests: it records every frame and every
 * decoded message, and waits for them with deadlines (never sleeps).
 */
import { decodeServerFrame, type ServerMessage } from '@parley/protocol';
import { WebSocket } from 'ws';

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

type Waiter = { check: () => boolean };

export class RawClient {
  readonly ws: WebSocket;
  /** Every text frame received, raw. */
  readonly frames: string[] = [];
  /** Every message received, in order. */
  readonly messages: ServerMessage[] = [];
  /** Sequenced messages received (the client's received position). */
  received = 0;
  closed: Closed | undefined;
  opened = false;
  #cursor = 0;
  #waiters = new Set<Waiter>();
  #pinger: NodeJS.Timeout | undefined;

  /** @param pingEvery send `ping {a: received}` this often once open (like a real client); 0 = never */
  constructor(url: string, pingEvery = 0) {
    this.ws = new WebSocket(url);
    this.ws.on('open', () => {
      this.opened = true;
      if (pingEvery > 0) {
        this.#pinger = setInterval(() => {
          if (this.ws.readyState === WebSocket.OPEN) this.send({ t: 'ping', a: this.received });
        }, pingEvery);
      }
      this.#wake();
    });
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('server sent a binary frame');
      const text = (data as Buffer).toString('utf8');
      this.frames.push(text);
      for (const m of decodeServerFrame(text)) {
        this.messages.push(m);
        if (isSequencedType(m.t)) this.received++;
      }
      this.#wake();
    });
    this.ws.on('close', (code, reason) => {
      this.stopPinging();
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
    this.ws.on('error', () => {});
  }

  #wake(): void {
    for (const w of this.#waiters) w.check();
  }

  #wait<T>(what: string, probe: () => T | undefined, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          const v = probe();
          if (v === undefined) return false;
          this.#waiters.delete(waiter);
          clearTimeout(timer);
          resolve(v);
          return true;
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new Error(
            `timed out after ${ms} ms waiting for ${what}; got ${JSON.stringify(this.messages.slice(-8))} closed=${JSON.stringify(this.closed)}`,
          ),
        );
      }, ms);
      this.#waiters.add(waiter);
      waiter.check();
    });
  }

  /** The next message (after the previous `next`) matching `predicate`; skips the others. */
  next<T extends ServerMessage = ServerMessage>(
    predicate: (m: ServerMessage) => boolean = () => true,
    ms = 3000,
  ): Promise<T> {
    return this.#wait(
      'a matching message',
      () => {
        while (this.#cursor < this.messages.length) {
          const m = this.messages[this.#cursor++] as ServerMessage;
          if (predicate(m)) return m as T;
        }
        return undefined;
      },
      ms,
    );
  }

  /** The next message of type `t`. */
  nextOf<K extends ServerMessage['t']>(
    t: K,
    ms = 3000,
    extra: (m: Extract<ServerMessage, { t: K }>) => boolean = () => true,
  ) {
    return this.next<Extract<ServerMessage, { t: K }>>(
      (m) => m.t === t && extra(m as Extract<ServerMessage, { t: K }>),
      ms,
    );
  }

  /** Resolves once `condition()` holds over what was received (checked on every frame and close). */
  until(what: string, condition: () => boolean, ms = 3000): Promise<void> {
    return this.#wait(what, () => (condition() ? true : undefined), ms).then(() => undefined);
  }

  /** Resolves when the socket is open (rejects when it closes first). */
  open(ms = 3000): Promise<void> {
    return this.#wait('open', () => (this.opened ? true : this.closed ? true : undefined), ms).then(() => {
      if (!this.opened) throw new Error(`closed before open: ${JSON.stringify(this.closed)}`);
    });
  }

  /** Resolves with the close code and reason. */
  close(ms = 3000): Promise<Closed> {
    return this.#wait('close', () => this.closed, ms);
  }

  /** Send messages (objects are encoded and joined with "\n" into ONE frame) or a raw string. */
  send(...messages: (object | string)[]): void {
    this.ws.send(messages.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join('\n'));
  }

  /** Acknowledge everything received so far. */
  ack(): void {
    this.send({ t: 'ack', a: this.received });
  }

  /** Go silent (a frozen client). */
  stopPinging(): void {
    clearInterval(this.#pinger);
    this.#pinger = undefined;
  }

  /** Drop the TCP connection without a close frame (a network failure). */
  drop(): void {
    this.stopPinging();
    this.ws.terminate();
  }

  /** Messages of a type received so far. */
  all<K extends ServerMessage['t']>(t: K): Extract<ServerMessage, { t: K }>[] {
    return this.messages.filter((m) => m.t === t) as Extract<ServerMessage, { t: K }>[];
  }
}

function isSequencedType(t: string): boolean {
  return t === 'nack' || t === 'signal' || t.startsWith('connection');
}
