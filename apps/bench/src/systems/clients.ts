/** One entry point to join a room on any system. */
import type { BenchClient, ClientHooks, ClientOptions, JoinSpec } from './types.js';
import { connectFloor } from './floor-client.js';
import { connectSocketIo } from './sio-client.js';
import { connectParley } from './parley-client.js';
import { connectLean } from './parley-lean.js';

export function connectClient(spec: JoinSpec, hooks: ClientHooks = {}, opts: ClientOptions = {}): Promise<BenchClient> {
  switch (spec.server.system) {
    case 'floor':
      return connectFloor(spec, hooks, opts);
    case 'socketio':
      return connectSocketIo(spec, hooks, opts);
    case 'parley':
      return opts.lean ? connectLean(spec, hooks) : connectParley(spec, hooks, opts);
  }
}

/** Abort every TCP connection this process holds to `port` with a RST (the "network" drops). */
export function resetAllTo(port: number): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  let n = 0;
  for (const h of handles) {
    const s = h as { remotePort?: number; resetAndDestroy?: () => void; destroy?: () => void };
    if (s.remotePort === port && typeof s.destroy === 'function') {
      if (s.resetAndDestroy) s.resetAndDestroy();
      else s.destroy();
      n++;
    }
  }
  return n;
}
