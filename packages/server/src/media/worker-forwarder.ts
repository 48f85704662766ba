/**
 * The signalling thread's handle on the forwarder: a host that owns every peer connection, a
 * worker thread for werift (./werift/worker-main.ts) or a child process for libdatachannel
 * (./datachannel/process-main.ts; ./forwarder-link.ts says why). Requests are small messages
 * with an id; a host that dies fails every pending and later request with `worker-gone` and
 * reports a `worker-gone` event, so nothing waits forever.
 */
import { startForwarderHost, type ForwarderLink } from './forwarder-link.js';
import {
  FORWARDER_IMPLS,
  ForwarderError,
  type CandidateInit,
  type ForwarderEvent,
  type ForwarderOptions,
  type ForwarderStats,
  type MediaForwarder,
  type PublishResult,
  type SubscribeResult,
} from './types.js';
import type { FromWorker, WorkerRequest, WorkerResults } from './worker-messages.js';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** A {@link MediaForwarder} whose peer connections run in a worker thread (or child process). */
export class WorkerForwarder implements MediaForwarder {
  private readonly link: ForwarderLink;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: ForwarderEvent) => void>();
  private nextId = 1;
  private gone: string | undefined;
  private readonly exited: Promise<void>;

  constructor(opts: ForwarderOptions) {
    const impl = opts.impl ?? 'werift';
    if (!FORWARDER_IMPLS.includes(impl))
      throw new TypeError(`forwarder impl must be one of ${FORWARDER_IMPLS.join(', ')} (got ${JSON.stringify(impl)})`);
    this.link = startForwarderHost(impl, opts);
    this.link.listen(
      (m) => {
        this.onMessage(m);
      },
      (why) => {
        this.fail(why);
      },
    );
    this.exited = this.link.exited;
  }

  /** The process id of the forwarder's host when it is a child process (for the bench's CPU). */
  get hostPid(): number | undefined {
    return this.link.pid;
  }

  private onMessage(m: FromWorker): void {
    if (m.kind === 'event') {
      this.dispatch(m.event);
      return;
    }
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (m.kind === 'reply') p.resolve(m.result);
    else p.reject(new ForwarderError(m.reason, m.message));
  }

  private dispatch(e: ForwarderEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A listener's bug must not stop the others.
      }
    }
  }

  private fail(why: string): void {
    if (this.gone !== undefined) return;
    this.gone = why;
    for (const p of this.pending.values()) p.reject(new ForwarderError('worker-gone', why));
    this.pending.clear();
    this.dispatch({ type: 'worker-gone', error: why });
  }

  private request<K extends WorkerRequest['op']>(req: Extract<WorkerRequest, { op: K }>): Promise<WorkerResults[K]> {
    if (this.gone !== undefined) return Promise.reject(new ForwarderError('worker-gone', this.gone));
    const id = this.nextId++;
    return new Promise<WorkerResults[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve, reject });
      this.link.send({ id, req });
    });
  }

  createRouter(routerId: string): Promise<void> {
    return this.request({ op: 'createRouter', routerId });
  }
  publish(routerId: string, transportId: string, offer: string): Promise<PublishResult> {
    return this.request({ op: 'publish', routerId, transportId, offer });
  }
  subscribe(
    routerId: string,
    transportId: string,
    producerIds: readonly string[],
    offer: string,
  ): Promise<SubscribeResult> {
    return this.request({ op: 'subscribe', routerId, transportId, producerIds, offer });
  }
  renegotiate(transportId: string, offer: string): Promise<string> {
    return this.request({ op: 'renegotiate', transportId, offer });
  }
  addCandidate(transportId: string, candidate: CandidateInit): Promise<void> {
    return this.request({ op: 'candidate', transportId, candidate });
  }
  requestKeyFrame(transportId: string): Promise<void> {
    return this.request({ op: 'requestKeyFrame', transportId });
  }
  closeRouter(routerId: string): Promise<void> {
    return this.request({ op: 'closeRouter', routerId });
  }
  closeTransport(transportId: string): Promise<void> {
    return this.request({ op: 'closeTransport', transportId });
  }
  closeProducer(producerId: string): Promise<void> {
    return this.request({ op: 'closeProducer', producerId });
  }
  closeConsumer(consumerId: string): Promise<void> {
    return this.request({ op: 'closeConsumer', consumerId });
  }
  stats(): Promise<ForwarderStats> {
    return this.request({ op: 'stats' });
  }
  /** Test hook (needs `testHooks: true`): makes the worker throw an uncaught error. */
  crashForTest(): Promise<void> {
    return this.request({ op: 'crash' });
  }

  onEvent(listener: (e: ForwarderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.gone === undefined) {
      this.gone = 'forwarder closed';
      for (const p of this.pending.values()) p.reject(new ForwarderError('worker-gone', this.gone));
      this.pending.clear();
      await this.link.stop();
    }
    await this.exited;
  }
}
