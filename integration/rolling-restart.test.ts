/**
 * A rolling restart over the split-process bus and over the Redis bus: three nodes behind one address (a round-robin TCP
 * balancer), clients spread over them, and one node drained with `drain: 'node'` (4016). Its
 * clients resume through the same address on another node, which claims their connections from
 * the bus: nobody sees a connectionDestroyed, every signal arrives once and in order.
 */
import { createServer as createTcpServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Publisher, Session } from '@parley/client';
import type { ParleyServer } from '@parley/server';
import { generateToken, Parley } from '@parley/server-sdk';
import { nextEvent, recordEvents, startNodes, waitFor, type Nodes } from '@parley/testkit';
import { API_KEY, API_SECRET, SHORT_TIMINGS } from './harness.js';
import { seesOthers, T } from './support-opentok.js';
import { noMediaWebrtc } from './support/no-media.js';

/** One address in front of the nodes: each new TCP connection goes to the next node still listed. */
class Balancer {
  readonly live: number[];
  #turn = 0;
  readonly #sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    ports: number[],
  ) {
    this.live = ports;
  }

  static async start(ports: number[]): Promise<Balancer> {
    const server = createTcpServer();
    const b = new Balancer(server, ports);
    server.on('connection', (client) => {
      b.#pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return b;
  }

  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  #pipe(client: Socket): void {
    const port = this.live[this.#turn++ % this.live.length] as number;
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => {
        this.#sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

let nodes: Nodes | undefined;
let balancer: Balancer | undefined;
const sessions: Session[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.disconnect().catch(() => undefined)));
  await balancer?.close();
  await nodes?.close();
  nodes = undefined;
  balancer = undefined;
});

describe.each(['split', 'redis'] as const)('a rolling restart over the %s bus', (kind) => {
  it('draining one node (4016): its clients resume on the others, nothing is lost, nobody (and no stream) is destroyed', async () => {
    nodes = await startNodes(kind, {
      port: 0,
      dataDir: ':memory:',
      projects: [{ apiKey: API_KEY, apiSecret: API_SECRET }],
      timings: SHORT_TIMINGS,
      drain: 'node',
    });
    balancer = await Balancer.start(nodes.servers.map((s) => s.port));
    // REST straight to a node, so the balancer's turns go to the clients: alice lands on the first node.
    const { sessionId } = await new Parley(API_KEY, API_SECRET, { apiUrl: nodes.servers[0]?.url }).createSession();
    const names = ['alice', 'bob', 'carol'];
    for (const name of names) {
      const session = new Session(API_KEY, sessionId, undefined, { url: balancer.url, webrtc: noMediaWebrtc });
      sessions.push(session);
      await session.connect(generateToken(API_KEY, API_SECRET, sessionId, { data: name }));
    }
    await Promise.all(sessions.map((s) => seesOthers(s, 2)));
    const [alice, bob] = sessions as [Session, Session, Session];
    const ids = sessions.map((s) => s.connection?.connectionId);
    const drained = nodes.servers[0] as ParleyServer;
    expect(drained.connectionCount()).toBe(1); // the first connection went to the first node (alice)
    // Alice publishes a stream (no tracks: signalling only); it must outlive her node.
    const announced = [bob, sessions[2] as Session].map((s) => nextEvent(s, 'streamCreated', T));
    const stream = await alice.publish(new Publisher(undefined, { name: 'alice-cam' }));
    await Promise.all(announced);
    const recs = sessions.map((s) =>
      recordEvents(s, [
        'connectionDestroyed',
        'sessionDisconnected',
        'sessionError',
        'sessionReconnected',
        'streamDestroyed',
      ]),
    );
    const expected = [...Array.from({ length: 10 }, (_, i) => `b${i + 1}`), 'a1', 'a2', 'a3'];
    const got: string[][] = sessions.map(() => []);
    // Each session's signals, complete once it has as many as were sent (checked below for order and duplicates).
    const complete = sessions.map((s, i) =>
      waitFor(
        (resolve) => {
          s.on('signal', ({ type, data }) => {
            if (type !== 'n') return;
            got[i]?.push(data ?? '');
            if ((got[i]?.length ?? 0) >= expected.length) resolve();
          });
        },
        15_000,
        `${names[i] ?? ''} gets every signal`,
      ),
    );

    const aliceBack = nextEvent(alice, 'sessionReconnected', T);
    balancer.live.splice(balancer.live.indexOf(drained.port), 1);
    const sent: Promise<void>[] = [];
    for (let i = 1; i <= 5; i++) sent.push(bob.signal({ type: 'n', data: `b${i}` }));
    await drained.close();
    for (let i = 6; i <= 10; i++) sent.push(bob.signal({ type: 'n', data: `b${i}` }));
    await aliceBack;
    await Promise.all(sent);
    for (let i = 1; i <= 3; i++) await alice.signal({ type: 'n', data: `a${i}` });

    await Promise.all(complete);
    for (const list of got) expect(list).toEqual(expected);
    expect(sessions.map((s) => s.connection?.connectionId)).toEqual(ids);
    expect(drained.connectionCount()).toBe(0);
    expect(nodes.connectionCount()).toBe(3);
    expect(recs[0]?.names()).toEqual(['sessionReconnected']);
    expect(recs[1]?.names()).toEqual([]);
    expect(recs[2]?.names()).toEqual([]);
    // Her stream is still there for everyone, and for a newcomer.
    for (const s of sessions.slice(1)) expect([...s.streams.keys()]).toEqual([stream.streamId]);
    const dave = new Session(API_KEY, sessionId, undefined, { url: balancer.url });
    sessions.push(dave);
    await dave.connect(generateToken(API_KEY, API_SECRET, sessionId, { data: 'dave' }));
    expect([...dave.streams.keys()]).toEqual([stream.streamId]);
  });
});
