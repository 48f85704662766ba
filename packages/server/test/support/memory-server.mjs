// A real Parley server in a process of its own, so a test can measure the server's memory and
// nothing else (run with --expose-gc). It runs the BUILT server (dist): `npm test` builds first.
// IPC: sends {t:'ready', url, wsUrl}; answers 'memory' with {t:'memory', heapUsed, external, rss}
// after two full GCs; 'stop' closes the server and exits.
import { createServer } from '@parley/server';

const [apiKey, apiSecret] = process.argv.slice(2);
const server = await createServer({
  port: 0,
  host: '127.0.0.1',
  dataDir: ':memory:',
  projects: [{ apiKey, apiSecret }],
  log: process.env.PARLEY_TEST_LOG ? (line) => process.stderr.write(line + '\n') : undefined,
});

process.on('message', (m) => {
  if (m === 'memory') {
    globalThis.gc?.();
    globalThis.gc?.();
    const { heapUsed, external, rss } = process.memoryUsage();
    process.send?.({ t: 'memory', heapUsed, external, rss });
  } else if (m === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ t: 'ready', url: server.url, wsUrl: server.wsUrl });
