/** A load generator process: it holds clients and runs the load side of every scenario over IPC. */
import { serve, signalReady } from './lib/rpc.js';
import { connectHandlers } from './scenarios/connect.js';
import { fanoutHandlers } from './scenarios/fanout.js';
import { steadyHandlers } from './scenarios/steady.js';
import { burstHandlers } from './scenarios/burst.js';
import { idleHandlers } from './scenarios/idle.js';
import { stormHandlers } from './scenarios/storm.js';
import { resumeHandlers } from './scenarios/resume.js';
import { nodeDeathHandlers } from './scenarios/node-death.js';
import { phaseProfileHandlers } from './lib/phase-profile.js';

process.on('unhandledRejection', (e) => {
  console.error('[bench load] unhandled rejection', e);
});
serve({
  ...connectHandlers,
  ...fanoutHandlers,
  ...steadyHandlers,
  ...burstHandlers,
  ...idleHandlers,
  ...stormHandlers,
  ...resumeHandlers,
  ...nodeDeathHandlers,
  ...phaseProfileHandlers,
});
signalReady(process.pid);
