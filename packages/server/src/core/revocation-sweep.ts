/**
 * A new revocation rule, applied to this node's connections: every holder whose token the rule
 * refuses is disconnected through the bus (origin 'revoked': close 4012 "token revoked", the
 * others see `forceDisconnected`).
 */
import type { SessionBus } from '../bus/session-bus.js';
import { revocationMatches, type Revocation } from '../tokens/revocation.js';
import type { Connection } from './connection.js';

/** Resolves with how many connections the bus disconnected. */
export function revokeMatching(
  connections: Iterable<Connection>,
  bus: SessionBus,
  rule: Revocation,
  nowSeconds: number,
): Promise<number> {
  const doomed = [...connections].filter(
    (c) =>
      c.state !== 'closed' &&
      revocationMatches(
        rule,
        {
          apiKey: c.apiKey,
          sessionId: c.sessionId,
          data: c.info.data,
          tokenId: c.token?.id ?? '',
          issuedAt: c.token?.issuedAt,
        },
        nowSeconds,
      ),
  );
  return Promise.all(
    doomed.map(
      (c) =>
        new Promise<boolean>((resolve) => {
          bus.forceDisconnect(c.sessionId, c.id, 'revoked', (result) => {
            resolve(result === 'ok');
          });
        }),
    ),
  ).then((done) => done.filter(Boolean).length);
}
