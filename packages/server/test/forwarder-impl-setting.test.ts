/** The forwarder implementation's option and registry row: werift or datachannel, anything else refused clearly. */
import { describe, expect, it } from 'vitest';
import { createForwarder, createServer } from '@parley/server';
import { loadConfig, parseFlags, registryOptions } from '../src/cli/config/load.js';

const load = (args: string[], env: Record<string, string> = {}) => loadConfig(parseFlags(args), env);

describe('the forwarder implementation setting', () => {
  it('--forwarder-impl and PARLEY_FORWARDER_IMPL become forwarderImpl; unset leaves the default', () => {
    expect(registryOptions(load(['--forwarder-impl', 'datachannel']))).toMatchObject({ forwarderImpl: 'datachannel' });
    expect(registryOptions(load([], { PARLEY_FORWARDER_IMPL: 'werift' }))).toMatchObject({ forwarderImpl: 'werift' });
    expect(registryOptions(load([]))).not.toHaveProperty('forwarderImpl');
  });

  it('refuses an unknown implementation, naming its source and the choices', async () => {
    expect(() => load(['--forwarder-impl', 'mediasoup'])).toThrow(/--forwarder-impl.*werift.*datachannel/);
    await expect(
      createServer({ port: 0, dataDir: ':memory:', forwarderImpl: 'mediasoup' as 'werift' }),
    ).rejects.toThrow(/forwarderImpl must be one of werift, datachannel/);
    expect(() => createForwarder({ impl: 'mediasoup' as 'werift' })).toThrow(/forwarder impl must be one of/);
  });
});
