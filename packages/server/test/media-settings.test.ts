/** The media rows of the configuration registry: flags, variables and file keys become createServer options. */
import { describe, expect, it } from 'vitest';
import { loadConfig, parseFlags, registryOptions } from '../src/cli/config/load.js';

const load = (args: string[], env: Record<string, string> = {}) => loadConfig(parseFlags(args), env);

describe('the media settings', () => {
  it('--forwarder, PARLEY_MEDIA_ADDRESS and --ice-servers become the createServer options', () => {
    const ice = '[{"urls":"stun:stun.example.com:3478"}]';
    const options = registryOptions(
      load(['--forwarder', '1', '--ice-servers', ice], { PARLEY_MEDIA_ADDRESS: '10.0.0.7' }),
    );
    expect(options).toMatchObject({
      forwarder: true,
      mediaAddress: '10.0.0.7',
      iceServers: [{ urls: 'stun:stun.example.com:3478' }],
    });
  });

  it('leaves createServer its defaults when unset', () => {
    const options = registryOptions(load([]));
    expect(options).not.toHaveProperty('forwarder');
    expect(options).not.toHaveProperty('iceServers');
  });

  it('a bad value names its source', () => {
    expect(() => load(['--ice-servers', 'stun:x'])).toThrow(/--ice-servers must be a JSON array/);
    expect(() => load([], { PARLEY_ICE_SERVERS: '[{"urls":42}]' })).toThrow(/PARLEY_ICE_SERVERS/);
    expect(() => load(['--forwarder', 'maybe'])).toThrow(/--forwarder must be 1 or 0/);
  });
});
