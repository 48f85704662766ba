import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultProxy, waitFor } from '@parley/testkit';

interface Echo {
  server: Server;
  port: number;
  sockets: Set<Socket>;
  /** Resolves once the echo server holds exactly `n` open sockets. */
  waitForSockets(n: number, ms?: number): Promise<void>;
}

/** A TCP echo server on port 0 that reports its sockets opening and closing. */
async function echoServer(): Promise<Echo> {
  const sockets = new Set<Socket>();
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const l of [...listeners]) l();
  };
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => {
      sockets.delete(s);
      changed();
    });
    s.pipe(s);
    changed();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const waitForSockets = (n: number, ms = 2_000): Promise<void> =>
    waitFor(
      (resolve) => {
        const check = (): void => {
          if (sockets.size === n) resolve();
        };
        listeners.add(check);
        check();
        return () => void listeners.delete(check);
      },
      ms,
      () => `the echo server to hold ${n} socket(s) (holds ${sockets.size})`,
    );
  return { server, port: address.port, sockets, waitForSockets };
}

async function dial(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  s.on('error', () => undefined);
  await waitFor(
    (resolve, reject) => {
      s.once('connect', () => {
        resolve();
      });
      s.once('error', reject);
    },
    2_000,
    'TCP connect',
  );
  return s;
}

/** Resolves with everything `socket` received once it has at least `n` bytes. */
function receive(socket: Socket, n: number, ms = 3_000): Promise<string> {
  let got = '';
  return waitFor<string>(
    (resolve) => {
      const onData = (b: Buffer): void => {
        got += b.toString();
        if (got.length >= n) resolve(got);
      };
      socket.on('data', onData);
      return () => socket.off('data', onData);
    },
    ms,
    () => `${n} bytes (got ${got.length}: ${JSON.stringify(got.slice(0, 40))})`,
  );
}

function closed(socket: Socket, ms = 3_000): Promise<boolean> {
  return waitFor<boolean>(
    (resolve) => {
      if (socket.destroyed) {
        resolve(true);
        return undefined;
      }
      const onClose = (hadError: boolean): void => {
        resolve(hadError);
      };
      socket.once('close', onClose);
      return () => socket.off('close', onClose);
    },
    ms,
    'the socket to close',
  );
}

describe('FaultProxy', () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let proxy: FaultProxy;
  const clients: Socket[] = [];

  beforeEach(async () => {
    echo = await echoServer();
    proxy = await FaultProxy.start({ target: { port: echo.port } });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await proxy.close();
    for (const s of echo.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      echo.server.close(() => {
        resolve();
      }),
    );
  });

  async function client(): Promise<Socket> {
    const c = await dial(proxy.port);
    clients.push(c);
    return c;
  }

  it('forwards bytes both ways and counts links', async () => {
    const c = await client();
    await proxy.waitForLinks(1, 2_000);
    const got = receive(c, 5);
    c.write('hello');
    expect(await got).toBe('hello');
    expect(proxy.links).toBe(1);
    expect(proxy.opened).toBe(1);
  });

  it('rewrites a URL to point at the proxy', () => {
    expect(proxy.url(`http://localhost:${echo.port}`)).toBe(`http://127.0.0.1:${proxy.port}`);
    expect(proxy.url(`ws://127.0.0.1:${echo.port}/v1/ws?x=1`)).toBe(`ws://127.0.0.1:${proxy.port}/v1/ws?x=1`);
  });

  it('cut() resets every open link and the client sees its socket close', async () => {
    const a = await client();
    const b = await client();
    await proxy.waitForLinks(2, 2_000);
    expect(proxy.cut()).toBe(2);
    await Promise.all([closed(a), closed(b)]);
    await echo.waitForSockets(0);
    await proxy.waitForNoLinks(2_000);
    // A cut is an event, not a state: the next link works.
    const c = await client();
    const got = receive(c, 2);
    c.write('ok');
    expect(await got).toBe('ok');
  });

  it('blackhole() swallows bytes and closes both ways but keeps the TCP link up; restore() cuts the broken link', async () => {
    const c = await client();
    await proxy.waitForLinks(1, 2_000);
    proxy.blackhole();
    let received = '';
    c.on('data', (b: Buffer) => (received += b.toString()));
    c.write('lost');
    await proxy.waitForDrops(1, 2_000);
    expect(proxy.dropped.toServerBytes).toBe(4);
    expect(echo.sockets.size).toBe(1);
    proxy.restore();
    await closed(c); // the link lost bytes, so it cannot be restored
    expect(received).toBe('');
    const d = await client();
    const got = receive(d, 5);
    d.write('fresh');
    expect(await got).toBe('fresh');
  });

  it('a black-holed link stays half-open: the client closing does not reach the server', async () => {
    const c = await client();
    await proxy.waitForLinks(1, 2_000);
    await echo.waitForSockets(1);
    proxy.blackhole();
    c.destroy();
    await proxy.waitForDrops(1, 2_000);
    expect(proxy.dropped.closes).toBe(1);
    // The server side is still open and the link still counts.
    expect(echo.sockets.size).toBe(1);
    expect(proxy.links).toBe(1);
    // restore() cannot heal a link whose close was swallowed: it cuts it.
    proxy.restore();
    await echo.waitForSockets(0);
    await proxy.waitForNoLinks(2_000);
  });

  it('blackhole({ direction: "toClient" }) drops only what the server sends', async () => {
    const sink: string[] = [];
    const c = await client();
    await proxy.waitForLinks(1, 2_000);
    proxy.blackhole({ direction: 'toClient' });
    c.on('data', (b: Buffer) => sink.push(b.toString()));
    // The echo server still receives (it echoes into the black hole).
    await echo.waitForSockets(1);
    const seen = waitFor<string>(
      (resolve) => {
        const [s] = [...echo.sockets];
        if (s === undefined) return undefined;
        const onData = (b: Buffer): void => {
          resolve(b.toString());
        };
        s.on('data', onData);
        return () => s.off('data', onData);
      },
      2_000,
      'the echo server to receive',
    );
    c.write('up');
    expect(await seen).toBe('up');
    await proxy.waitForDrops(1, 2_000);
    expect(proxy.dropped.toClientBytes).toBe(2);
    proxy.restore();
    await closed(c);
    expect(sink).toEqual([]);
  });

  it('newLinks: false leaves links opened later untouched', async () => {
    const c = await client();
    await proxy.waitForLinks(1, 2_000);
    proxy.blackhole({ newLinks: false });
    const d = await client();
    const got = receive(d, 3);
    d.write('new');
    expect(await got).toBe('new');
    c.destroy();
  });

  it('delay(ms) delivers later and in order', async () => {
    const c = await client();
    await proxy.waitForLinks(1, 2_000);
    proxy.delay(150, { direction: 'toServer' });
    const start = Date.now();
    const got = receive(c, 6);
    c.write('ab');
    c.write('cd');
    c.write('ef');
    expect(await got).toBe('abcdef');
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
    proxy.restore();
    const t0 = Date.now();
    const fast = receive(c, 2);
    c.write('gh');
    await fast;
    expect(Date.now() - t0).toBeLessThan(140);
  });

  it('throttle(bytesPerSecond) paces a burst', async () => {
    const c = await client();
    await proxy.waitForLinks(1, 2_000);
    proxy.throttle(20_000, { direction: 'toClient' });
    const start = Date.now();
    const got = receive(c, 6_000);
    c.write('x'.repeat(6_000));
    expect((await got).length).toBe(6_000);
    // 6,000 bytes at 20,000 B/s take about 300 ms.
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
  });

  it('refuse() accepts then resets new connections until refuse(false); open links keep working', async () => {
    const open = await client();
    await proxy.waitForLinks(1, 2_000);
    proxy.refuse(true);
    const s = connect({ host: '127.0.0.1', port: proxy.port });
    s.on('error', () => undefined);
    expect(await closed(s)).toBe(true);
    expect(proxy.refused).toBe(1);
    const got = receive(open, 4);
    open.write('live');
    expect(await got).toBe('live');
    proxy.refuse(false);
    const d = await client();
    const echoed = receive(d, 4);
    d.write('back');
    expect(await echoed).toBe('back');
  });

  it('a target that is not listening looks like a reset connection', async () => {
    const dead = await echoServer();
    const port = dead.port;
    await new Promise<void>((resolve) =>
      dead.server.close(() => {
        resolve();
      }),
    );
    const p = await FaultProxy.start({ target: { port } });
    try {
      const s = connect({ host: '127.0.0.1', port: p.port });
      s.on('error', () => undefined);
      expect(await closed(s)).toBe(true);
    } finally {
      await p.close();
    }
  });

  it('waitForLinks rejects with a message naming what it waited for', async () => {
    await expect(proxy.waitForLinks(3, 50)).rejects.toThrow(/timed out after 50 ms waiting for 3 open proxy link/);
  });
});
