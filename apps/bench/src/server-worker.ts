/**
 * A server under test, in its own process (started with --expose-gc). argv: system, JSON options.
 * It measures itself: process.cpuUsage() and RSS after gc, reported over IPC.
 */
import { randomUUID } from 'node:crypto';
import { serve, signalReady } from './lib/rpc.js';
import { now } from './lib/clock.js';
import { phaseProfileHandlers } from './lib/phase-profile.js';
import type { ServerStats, SystemName } from './systems/types.js';
import { startFloor } from './systems/floor-server.js';
import { startSocketIo } from './systems/sio-server.js';
import { startParley, type ParleyBenchOptions } from './systems/parley-server.js';

const HOST = '127.0.0.1';
const system = process.argv[2] as SystemName;
const opts = JSON.parse(process.argv[3] ?? '{}') as ParleyBenchOptions;

function stats(gc: boolean): ServerStats {
  if (gc) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (!g) throw new Error('start the server with --expose-gc');
    g();
    g();
  }
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    at: now(),
  };
}

async function main(): Promise<void> {
  let server: {
    info: import('./systems/types.js').ServerInfo;
    close(): Promise<void>;
    createRoom?: () => Promise<string>;
  };
  if (system === 'floor') server = await startFloor(HOST);
  else if (system === 'socketio') server = await startSocketIo(HOST, opts.redis);
  else server = await startParley(HOST, opts);
  const s = server;
  serve(
    {
      stats: (a: { gc?: boolean }) => stats(a.gc === true),
      ...phaseProfileHandlers,
      createRooms: async (a: { count: number }) => {
        const out: string[] = [];
        for (let i = 0; i < a.count; i++) out.push(s.createRoom ? await s.createRoom() : randomUUID());
        return out;
      },
    },
    async () => {
      await Promise.race([s.close(), new Promise((r) => setTimeout(r, 3000))]);
    },
  );
  signalReady(s.info);
}

main().catch((e: unknown) => {
  console.error(`[bench server ${system}]`, e);
  process.exit(1);
});
