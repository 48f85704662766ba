/**
 * Entry of the datachannel forwarder's child process (libdatachannel through node-datachannel):
 * every peer connection lives here, off the signalling event loop and out of the server's
 * process. The options come as the first argument (JSON); the requests over the IPC channel.
 * When the channel closes (the server stopped it, or the server died) it closes everything and
 * exits.
 */
import { serveForwarder } from '../worker-loop.js';
import type { WorkerData } from '../worker-messages.js';
import { DatachannelCore } from './core.js';

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
  (emit) => new DatachannelCore(opts, emit),
);
