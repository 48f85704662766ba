/**
 * Entry of the datachannel forwarder's child process (libdatachannel through node-datachannel):
 * every peer connection lives here, off the signalling event loop and out of the server's
 * process (../worker-loop.ts serves it over the IPC channel).
 */
import { serveChildProcess } from '../worker-loop.js';
import { DatachannelCore } from './core.js';

serveChildProcess((opts, emit) => new DatachannelCore(opts, emit));
