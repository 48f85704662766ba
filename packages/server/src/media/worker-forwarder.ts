/**
 * The signalling thread's handle on the forwarder: a worker thread that owns every peer
 * connection (./werift/worker-main.ts). Requests are small messages with an id; a worker that
 * dies fails every pending and later request with `worker-gone` and reports a `worker-gone`
 * event, so nothing waits forever.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  ForwarderError,
  type CandidateInit,
  type ForwarderEvent,
  type ForwarderOptions,
  type ForwarderStats,
  type MediaForwarder,
  type PublishResult,
  type SubscribeResult,
} from './types.js';
import type { FromWorker, ToWorker, WorkerRequest, WorkerResults } from './worker-messages.js';

/**
 * The worker's script. Under a TypeScript test runner this module is the `.ts` source and the
 * worker runs from the build (`npm run build` first); otherwise it sits beside this file.
 */
function workerScript(): string {
  const here = import.meta.url;
  return fileURLToPath(
    here.endsWith('.ts')
      ? new URL('../../dist/media/werift/worker-main.js', here)
      : new URL('./werift/worker-main.js', here),
  );
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** A {@link MediaForwarder} whose werift peer connections run in a worker thread. */
export class WorkerForwarder implements MediaForwarder {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: ForwarderEvent) => void>();
  private nextId = 1;
  private gone: string | undefined;
  private readonly exited: Promise<void>;

  constructor(opts: ForwarderOptions) {
    this.worker = new Worker(workerScript(), { workerData: opts, name: 'parley-forwarder' });
    this.worker.on('message', (m: FromWorker) => {
      this.onMessage(m);
    });
    this.worker.on('error', (e) => {
      this.fail(`forwarder worker crashed: ${e.message}`);
    });
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.fail(`forwarder worker exited (code ${code})`);
        resolve();
      }),
    );
  }

  /** The worker's thread id (for logs). */
  get threadId(): number {
    return this.worker.threadId;
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
      this.worker.postMessage({ id, req } satisfies ToWorker);
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
      await this.worker.terminate();
    }
    await this.exited;
  }
}
