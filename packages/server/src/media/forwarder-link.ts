/**
 * Where a forwarder's peer connections run, seen from the signalling thread: a worker thread
 * (werift, pure JavaScript) or a child process (libdatachannel: a native addon that can be loaded
 * only once per process and aborts the process when its thread is terminated, so it gets a
 * process of its own, and a native crash there cannot take the signalling server down).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ForwarderImpl, ForwarderOptions } from './types.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

/** A started forwarder host. */
export interface ForwarderLink {
  send(m: ToWorker): void;
  /** Every message; then, once, why the host is gone (crash, exit or stop). */
  listen(onMessage: (m: FromWorker) => void, onGone: (why: string) => void): void;
  /** Stops the host; resolves when it has exited. */
  stop(): Promise<void>;
  /** Resolves when the host has exited, however. */
  readonly exited: Promise<void>;
  /** The host's process id when it is a child process. */
  readonly pid: number | undefined;
}

/** How long a child process gets to close its peer connections before it is killed. */
const STOP_GRACE_MS = 3_000;

/**
 * The host's script. Under a TypeScript test runner this module is the `.ts` source and the
 * host runs from the build (`npm run build` first); otherwise it sits beside this file.
 */
function script(file: string): string {
  const here = import.meta.url;
  return fileURLToPath(here.endsWith('.ts') ? new URL(`../../dist/media/${file}`, here) : new URL(`./${file}`, here));
}

/** Starts the host of `impl`. */
export function startForwarderHost(impl: ForwarderImpl, opts: ForwarderOptions): ForwarderLink {
  if (impl === 'datachannel') return processLink(script('datachannel/process-main.js'), opts);
  return opts.host === 'process' ? processLink(script('werift/process-main.js'), opts) : workerLink(opts);
}

function workerLink(opts: ForwarderOptions): ForwarderLink {
  const worker = new Worker(script('werift/worker-main.js'), { workerData: opts, name: 'parley-forwarder' });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  return {
    send: (m) => {
      worker.postMessage(m);
    },
    listen(onMessage, onGone) {
      worker.on('message', onMessage);
      worker.on('error', (e) => {
        onGone(`forwarder worker crashed: ${e.message}`);
      });
      void exited.then((code) => {
        onGone(`forwarder worker exited (code ${code})`);
      });
    },
    stop: async () => {
      await worker.terminate();
      await exited;
    },
    exited: exited.then(() => undefined),
    pid: undefined,
  };
}

function processLink(file: string, opts: ForwarderOptions): ForwarderLink {
  const child: ChildProcess = fork(file, [JSON.stringify(opts)], {
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve(signal !== null ? `signal ${signal}` : `code ${String(code)}`);
    }),
  );
  return {
    send: (m) => {
      if (child.connected) child.send(m);
    },
    listen(onMessage, onGone) {
      child.on('message', (m) => {
        onMessage(m as FromWorker);
      });
      child.on('error', (e) => {
        onGone(`forwarder process failed: ${e.message}`);
      });
      void exited.then((how) => {
        onGone(`forwarder process exited (${how})`);
      });
    },
    stop: async () => {
      // Disconnecting asks the child to close its peer connections and exit.
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
    exited: exited.then(() => undefined),
    pid: child.pid,
  };
}
