/**
 * Session records in a cluster survive a Redis restarted empty as long as one live node knows
 * them, including a node that only saw the session through a resume (its client moved there when
 * the node it joined through drained). docs/CLUSTER.md §When Redis is in trouble.
 */
import { describe, expect, it } from 'vitest';
import type { Session } from '@parley/client';
import { waitFor, type ParleyProcess } from '@parley/testkit';
import { joinCluster, startCluster, urlsFrom } from './support/cluster.js';
import { useCluster } from './support/cluster-fixture.js';

const cx = useCluster();

/** Resolves when `s` has ended (sessionDisconnected). */
function ended(s: Session, what: string): Promise<void> {
  return waitFor(
    (resolve) =>
      s.on('sessionDisconnected', () => {
        resolve();
      }),
    30_000,
    what,
  );
}

describe('session records after Redis restarted empty', () => {
  it('a node that knows a session only from a resume writes it back: new joins work', async () => {
    cx.nodes = await startCluster(cx.redis, 2);
    const [a, b] = cx.nodes as [ParleyProcess, ParleyProcess];
    const sessionId = await cx.createSession(a);
    const alice = await joinCluster(sessionId, urlsFrom(cx.nodes, a), 'alice');
    cx.sessions.push(alice);
    const moved = waitFor(
      (resolve) =>
        alice.on('sessionReconnected', () => {
          resolve();
        }),
      15_000,
      'alice resumed on b',
    );
    // a drains: alice resumes on b, and a (the only node that saw the join) is gone.
    expect((await a.kill('SIGTERM')).code).toBe(0);
    await moved;
    // Redis loses everything: alice ends explicitly (1022), but b still knows the session.
    const aliceEnded = ended(alice, "alice's explicit end");
    await cx.redis.restart({ empty: true });
    await aliceEnded;
    const carol = await waitFor<Session>(
      (resolve, reject) => {
        // b refills the store when its connection to Redis is ready again: retry until then.
        const attempt = (): void => {
          joinCluster(sessionId, b.url, 'carol').then(resolve, (err: unknown) => {
            if (/unknown session|4005/i.test(String(err))) reject(err);
            else setTimeout(attempt, 200);
          });
        };
        attempt();
      },
      15_000,
      'a new join through b',
    );
    cx.sessions.push(carol);
    expect(carol.connection?.connectionId).toMatch(/.+/);
  }, 90_000);
});
