/**
 * The message loop of a forwarder host (a worker thread or a child process): answers each
 * request of ./worker-messages.ts with exactly one reply, posts the core's events, and closes
 * everything when the channel closes.
 */
import { ForwarderError, type ForwarderEvent } from './types.js';
import type { FromWorker, ToWorker, WorkerData, WorkerRequest } from './worker-messages.js';

/** What a forwarder implementation provides to the loop. */
export interface ForwarderCoreLike {
  handle(req: WorkerRequest): Promise<unknown>;
  closeAll(): void;
}

/** The channel to the signalling side (a worker's parentPort or a child's IPC channel). */
export interface HostChannel {
  post(m: FromWorker): void;
  onMessage(cb: (m: ToWorker) => void): void;
  onClose(cb: () => void): void;
}

export function serveForwarder(
  channel: HostChannel,
  make: (emit: (e: ForwarderEvent) => void) => ForwarderCoreLike,
): void {
  const core = make((event) => {
    channel.post({ kind: 'event', event });
  });
  channel.onMessage((m) => {
    core.handle(m.req).then(
      (result) => {
        channel.post({ kind: 'reply', id: m.id, result });
      },
      (e: unknown) => {
        if (e instanceof ForwarderError)
          channel.post({ kind: 'error', id: m.id, reason: e.reason, message: e.message });
        else
          channel.post({
            kind: 'error',
            id: m.id,
            reason: 'bad-request',
            message: e instanceof Error ? e.message : String(e),
          });
      },
    );
  });
  channel.onClose(() => {
    core.closeAll();
  });
}

/**
 * Serves a forwarder from a forked child process: the options come as its first argument
 * (JSON), the requests over its IPC channel; when the channel closes (the server stopped it, or
 * the server died) it closes everything and exits.
 */
export function serveChildProcess(
  make: (opts: WorkerData, emit: (e: ForwarderEvent) => void) => ForwarderCoreLike,
): void {
  if (process.send === undefined) throw new Error('a forwarder process runs as a forked child process');
  const opts = JSON.parse(process.argv[2] ?? '{}') as WorkerData;
  serveForwarder(
    {
      post: (m) => process.send?.(m),
      onMessage: (cb) => process.on('message', cb),
      onClose: (cb) =>
        process.once('disconnect', () => {
          cb();
          process.exit(0);
        }),
    },
    (emit) => make(opts, emit),
  );
}
