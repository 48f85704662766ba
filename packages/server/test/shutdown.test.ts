import { describe, expect, it } from 'vitest';
import { Harness } from './support/harness.js';

describe('shutdown', () => {
  it('close() sends 4013 to every client, no connectionDestroyed to the ones also closing, and refuses new joins', async () => {
    const h = await Harness.start();
    const sessionId = await h.session();
    const a = await h.join(sessionId);
    const b = await h.join(sessionId);
    await a.client.nextOf('connectionCreated');
    const started = Date.now();
    const closing = h.server.close();
    expect(await a.client.close()).toEqual({ code: 4013, reason: 'server shutting down' });
    expect(await b.client.close()).toEqual({ code: 4013, reason: 'server shutting down' });
    await closing;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(a.client.all('connectionDestroyed')).toEqual([]);
    expect(b.client.all('connectionDestroyed')).toEqual([]);
    expect(h.server.connectionCount()).toBe(0);
    await h.server.close(); // idempotent
  });

  it('close() resolves within a bounded time even when a client never answers the close handshake', async () => {
    const h = await Harness.start();
    const sessionId = await h.session();
    const a = await h.join(sessionId);
    // A client that stops reading: pause the underlying socket so the close frame is never answered.
    (a.client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const started = Date.now();
    await h.server.close();
    expect(Date.now() - started).toBeLessThan(3500);
  });
});
