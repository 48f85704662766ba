/**
 * Client requests waiting for the server's verdict (PROTOCOL.md "Client → server"). Each request
 * gets the next `s` (1, 2, 3, … per connection, kept across resumes) and stays here until an
 * `ack` covers it (resolve, with the result a `reply` recorded, if any) or a `nack` names it
 * (reject). On resume the server's `ack` says which ones it already has; the rest are sent again,
 * in order.
 */
import type { ClientRequest, JsonValue } from '@parley/protocol';

/** A request minus its sequence number. */
export type RequestBody = ClientRequest extends infer R ? (R extends ClientRequest ? Omit<R, 's'> : never) : never;

interface Pending {
  readonly request: ClientRequest;
  readonly resolve: (result: JsonValue | undefined) => void;
  readonly reject: (error: Error) => void;
  /** What a `reply` carried; the covering `ack` resolves with it (a reply comes before its ack). */
  result: JsonValue | undefined;
}

/** @internal */
export class Outbox {
  private nextSeq = 1;
  /** Requests not yet acknowledged, by `s`; Map iteration order is insertion order, i.e. `s` order. */
  private readonly pending = new Map<number, Pending>();

  /** Highest `s` handed out so far. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** How many requests wait for a verdict. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Number a request and keep it until acknowledged. Returns the request to send and its outcome:
   * the result of its `reply`, or undefined when the server acknowledged it without one.
   */
  add(body: RequestBody): { request: ClientRequest; done: Promise<JsonValue | undefined> } {
    const request = { ...body, s: this.nextSeq++ } as ClientRequest;
    let resolve!: (result: JsonValue | undefined) => void;
    let reject!: (error: Error) => void;
    const done = new Promise<JsonValue | undefined>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.pending.set(request.s, { request, resolve, reject, result: undefined });
    return { request, done };
  }

  /** `ack {a}`: every request with `s <= a` succeeded (those nacked were removed already). */
  ack(a: number): void {
    for (const [s, entry] of this.pending) {
      if (s > a) break;
      this.pending.delete(s);
      entry.resolve(entry.result);
    }
  }

  /**
   * `reply {r, data}`: request `r` succeeded with a result. It stays pending until the `ack` that
   * covers it (written after the reply), so requests still settle in `s` order. Returns false when
   * no such request is pending (a replayed reply of one already settled).
   */
  reply(r: number, data: JsonValue | undefined): boolean {
    const entry = this.pending.get(r);
    if (entry === undefined) return false;
    entry.result = data;
    return true;
  }

  /** `nack {r}`: request `r` failed. Returns false when no such request is pending. */
  nack(r: number, error: Error): boolean {
    const entry = this.pending.get(r);
    if (entry === undefined) return false;
    this.pending.delete(r);
    entry.reject(error);
    return true;
  }

  /**
   * After `resumed {ack}`: the requests the server does not have yet, in order, to send again
   * before any new one. Those with `s <= ack` stay pending: their `nack` (sequenced, replayed) or
   * a later `ack` settles them.
   */
  unprocessedAfter(ack: number): ClientRequest[] {
    const out: ClientRequest[] = [];
    for (const [s, entry] of this.pending) if (s > ack) out.push(entry.request);
    return out;
  }

  /** Reject every pending request and start numbering from 1 again (a new connection). */
  reset(error: Error): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    this.nextSeq = 1;
    for (const entry of entries) entry.reject(error);
  }
}
