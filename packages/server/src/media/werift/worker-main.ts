/**
 * Entry of the forwarder worker thread: every peer connection lives here, off the signalling
 * event loop. Talks to {@link WorkerForwarder} with the messages of ../worker-messages.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ForwarderError } from '../types.js';
import type { FromWorker, ToWorker, WorkerData } from '../worker-messages.js';
import { ForwarderCore } from './core.js';

const port = parentPort;
if (port === null) throw new Error('worker-main.ts runs as a worker thread');
const post = (m: FromWorker): void => {
  port.postMessage(m);
};
const core = new ForwarderCore(workerData as WorkerData, (event) => {
  post({ kind: 'event', event });
});

port.on('message', (m: ToWorker) => {
  core.handle(m.req).then(
    (result) => {
      post({ kind: 'reply', id: m.id, result });
    },
    (e: unknown) => {
      if (e instanceof ForwarderError) post({ kind: 'error', id: m.id, reason: e.reason, message: e.message });
      else
        post({ kind: 'error', id: m.id, reason: 'bad-request', message: e instanceof Error ? e.message : String(e) });
    },
  );
});
port.on('close', () => {
  core.closeAll();
});
