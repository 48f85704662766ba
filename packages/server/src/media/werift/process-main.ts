/**
 * Entry of the werift forwarder in a child process of its own (`host: 'process'`; the server
 * runs it in a worker thread): the bench measures each forwarder candidate as one process, so
 * the CPU it reads is the forwarder's and nothing else's.
 */
import { serveChildProcess } from '../worker-loop.js';
import { ForwarderCore } from './core.js';

serveChildProcess((opts, emit) => new ForwarderCore(opts, emit));
