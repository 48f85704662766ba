/** The forwarder's server options: `mediaAddress` is validated with a clear message. */
import { describe, expect, it } from 'vitest';
import { createForwarder, createServer } from '@parley/server';

describe('forwarder options', () => {
  it.each(['nope', '0.0.0.0', '::1', 42])('refuses mediaAddress %s with a clear message', async (mediaAddress) => {
    await expect(
      createServer({ port: 0, dataDir: ':memory:', forwarder: true, mediaAddress: mediaAddress as string }),
    ).rejects.toThrow(/mediaAddress must be one IPv4 address of this machine/);
    expect(() => createForwarder({ mediaAddress: mediaAddress as string })).toThrow(
      /mediaAddress must be one IPv4 address/,
    );
  });
});
