/**
 * Entry of the forwarder worker thread: every peer connection lives here, off the signalling
 * event loop. Talks to {@link WorkerForwarder} with the messages of ../worker-messages.ts,
 * through the message loop every forwarder host shares (../worker-loop.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveForwarder } from '../worker-loop.js';
import type { WorkerData } from '../worker-messages.js';
import { ForwarderCore } from './core.js';

const port = parentPort;
if (port === null) throw new Error('worker-main.ts runs as a worker thread');
serveForwarder(
  {
    post: (m) => {
      port.postMessage(m);
    },
    onMessage: (cb) => port.on('message', cb),
    onClose: (cb) => port.on('close', cb),
  },
  (emit) => new ForwarderCore(workerData as WorkerData, emit),
);
