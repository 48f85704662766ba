/**
 * Entry of the werift forwarder in a child process of its own (`host: 'process'`; the server
 * runs it in a worker thread): the bench measures each forwarder candidate as one process, so
 * the CPU it reads is the forwarder's and nothing else's.
 */
import { serveForwarder } from '../worker-loop.js';
import type { WorkerData } from '../worker-messages.js';
import { ForwarderCore } from './core.js';

if (process.send === undefined) throw new Error('process-main.ts runs as a forked child process');
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
  (emit) => new ForwarderCore(opts, emit),
);
