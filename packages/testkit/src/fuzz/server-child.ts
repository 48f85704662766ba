/**
 * The fuzz run's server: a real Parley server in a process of its own, so the driver can see it
 * crash (the process exits) and read its memory alone. Runs the BUILT server (dist).
 *
 * IPC out: `{t:'ready', url, wsUrl, honestSession, fuzzSessions}`, then on 'stats'
 * `{t:'stats', peakRss, peakHeap, rss, heapUsed, errors, warnings, firstErrors}` (the peaks are
 * sampled every 50 ms in here). 'stop' closes the server and exits 0.
 */
import { createServer, type Logger } from '@parley/server';
import { Parley } from '@parley/server-sdk';

const [apiKey = '', apiSecret = '', fuzzSessionCount = '4'] = process.argv.slice(2);

let errors = 0;
let warnings = 0;
const firstErrors: string[] = [];
const message = (args: unknown[]): string =>
  args
    .map((a) => (typeof a === 'string' ? a : ''))
    .join(' ')
    .trim();
/** Counts what the server logs at warn and error: an error line under fuzzing is a finding. */
const countingLogger: Logger = {
  error: (...args: unknown[]) => {
    errors++;
    if (firstErrors.length < 5) firstErrors.push(message(args).slice(0, 300));
  },
  warn: () => {
    warnings++;
  },
  info: () => {},
  debug: () => {},
  child: () => countingLogger,
  isLevelEnabled: (level: string) => level === 'error' || level === 'warn',
};

let peakRss = 0;
let peakHeap = 0;
const sample = (): void => {
  const { rss, heapUsed } = process.memoryUsage();
  if (rss > peakRss) peakRss = rss;
  if (heapUsed > peakHeap) peakHeap = heapUsed;
};
setInterval(sample, 50).unref();

const server = await createServer({
  port: 0,
  host: '127.0.0.1',
  dataDir: ':memory:',
  projects: [{ apiKey, apiSecret }],
  logger: countingLogger,
});
const parley = new Parley(apiKey, apiSecret, { apiUrl: server.url });
const honestSession = (await parley.createSession()).sessionId;
const fuzzSessions: string[] = [];
for (let i = 0; i < Number(fuzzSessionCount); i++) fuzzSessions.push((await parley.createSession()).sessionId);

process.on('message', (m) => {
  if (m === 'stats') {
    sample();
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({ t: 'stats', peakRss, peakHeap, rss, heapUsed, errors, warnings, firstErrors });
  } else if (m === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ t: 'ready', url: server.url, wsUrl: server.wsUrl, honestSession, fuzzSessions });
