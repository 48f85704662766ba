/**
 * Routed sessions route by default (media/media-options.ts): a single server carries them through
 * its forwarder, which starts nothing until the first routed stream, and so does a Redis cluster
 * node (one node forwards each session); a node under an injected bus that cannot do that, or a
 * server told `forwarder: false`, runs them relayed and says so in a warning at startup, never
 * silently.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryBus, resolveServerOptions } from '@parley/server';
import { Harness } from './support/harness.js';

const CAPS = ['reply', 'streams'] as const;

describe('how routed sessions carry media by default', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('a single server routes them through its forwarder (on 127.0.0.1 unless configured), and says so at startup', () => {
    const o = resolveServerOptions({ port: 0 });
    expect(o.mediaRouter).toBeDefined();
    expect(o.mediaNotices.map((n) => n.level)).toEqual(['info']);
    expect(o.mediaNotices[0]?.text).toMatch(/forwarder on 127\.0\.0\.1/);
    const set = resolveServerOptions({ port: 0, mediaAddress: '10.0.0.7', host: '10.0.0.7' });
    expect(set.mediaNotices.map((n) => n.level)).toEqual(['info']);
    expect(set.mediaNotices[0]?.text).toMatch(/forwarder on 10\.0\.0\.7/);
  });

  it('warns when the server listens beyond loopback but the forwarder announces a loopback address', () => {
    const o = resolveServerOptions({ port: 0, host: '0.0.0.0' });
    expect(o.mediaRouter).toBeDefined();
    expect(o.mediaNotices[1]?.level).toBe('warn');
    expect(o.mediaNotices[1]?.text).toMatch(/--media-address/);
  });

  it('a Redis cluster node routes them too (its bus sends every call to the session forwarder node)', () => {
    const o = resolveServerOptions({ port: 0, redis: 'redis://127.0.0.1:6379' });
    expect(o.mediaRouter).toBeDefined();
    expect(o.mediaNotices.map((n) => n.level)).toEqual(['info']);
  });

  it.each([
    ['forwarder: false', { forwarder: false }, /the forwarder is off/],
    ['an injected bus without a forwarder channel', { bus: new InMemoryBus() }, /only its own clients/],
  ])('%s: relayed, with a warning at startup', (_name, extra, why) => {
    const o = resolveServerOptions({ port: 0, ...extra });
    expect(o.mediaRouter).toBeUndefined();
    expect(o.mediaNotices.map((n) => n.level)).toEqual(['warn']);
    expect(o.mediaNotices[0]?.text).toMatch(why);
    expect(o.mediaNotices[0]?.text).toMatch(/routed sessions carry their media relayed/);
  });

  it('forwarder: true under such a bus, or a mediaRouter of ones own, is honoured; forwarderImpl is checked', () => {
    expect(resolveServerOptions({ port: 0, bus: new InMemoryBus(), forwarder: true }).mediaRouter).toBeDefined();
    expect(() => resolveServerOptions({ port: 0, forwarderImpl: 'mediasoup' as never })).toThrow(
      /forwarderImpl must be one of werift, datachannel/,
    );
    const mine = () => ({}) as never;
    expect(resolveServerOptions({ port: 0, forwarder: false, mediaRouter: mine }).mediaRouter).toBe(mine);
    expect(() => resolveServerOptions({ port: 0, forwarder: 'yes' as never })).toThrow(/forwarder must be a boolean/);
  });

  it("with the server's default, a routed session's clients are told routed, and the forwarder stays empty until a stream", async () => {
    h = await Harness.start({ forwarder: undefined });
    const sessionId = await h.session(); // created routed
    const alice = await h.join(sessionId, { caps: CAPS });
    expect(alice.welcome.mediaMode).toBe('routed');
    const metrics = await h.server.metrics();
    expect(metrics).toContain('parley_forwarder_objects{kind="routers"} 0');
  });
});
