/**
 * The demo endpoint's guards as pure functions: Host parsing, the allowed-host rule, client keys,
 * and the session limiter with an injected clock.
 */
import { describe, expect, it } from 'vitest';
import { clientKey } from '../src/http/client-address.js';
import { DemoLimiter, hostName, isDemoHost } from '../src/http/demo-guard.js';

describe('hostName', () => {
  it.each([
    ['localhost', 'localhost'],
    ['LocalHost:8720', 'localhost'],
    ['127.0.0.1:1', '127.0.0.1'],
    ['[::1]:8720', '::1'],
    ['[::1]', '::1'],
    ['example.com', 'example.com'],
  ])('%s → %s', (header, name) => {
    expect(hostName(header)).toBe(name);
  });

  it.each([undefined, '[::1', '[::1]x', 'a:b:c', 'host:port'])('%s is unparsable', (header) => {
    expect(hostName(header)).toBeUndefined();
  });
});

describe('isDemoHost', () => {
  it('answers loopback names whatever the bound host', () => {
    for (const h of ['localhost', 'localhost:1', '127.0.0.1', '127.255.0.9:80', '[::1]', '[::1]:8720']) {
      expect(isDemoHost(h, '127.0.0.1'), h).toBe(true);
      expect(isDemoHost(h, 'parley.internal'), h).toBe(true);
    }
  });

  it('answers the bound host, and nothing else', () => {
    expect(isDemoHost('parley.internal:8720', 'parley.internal')).toBe(true);
    expect(isDemoHost('10.1.2.3:8720', '10.1.2.3')).toBe(true);
    expect(isDemoHost('[fd00::5]:8720', 'fd00::5')).toBe(true);
    for (const h of ['attacker.example', '10.1.2.4', 'localhost.attacker.example', '', undefined]) {
      expect(isDemoHost(h, '10.1.2.3'), String(h)).toBe(false);
    }
  });

  it('on a wildcard bind, answers IP literals of this machine only, never a name', () => {
    expect(isDemoHost('attacker.example', '0.0.0.0')).toBe(false);
    expect(isDemoHost('attacker.example', '::')).toBe(false);
    expect(isDemoHost('203.0.113.250', '0.0.0.0')).toBe(false);
    expect(isDemoHost('127.0.0.1:8720', '0.0.0.0')).toBe(true);
  });
});

describe('clientKey', () => {
  it('keys IPv4 (also IPv4-mapped) by address and IPv6 by its /64', () => {
    expect(clientKey('10.0.0.7')).toBe('10.0.0.7');
    expect(clientKey('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey(undefined)).toBe('');
  });
});

describe('DemoLimiter', () => {
  it('lets a burst through per address, then refills at the configured rate with a Retry-After', () => {
    let now = 1_000_000;
    const limiter = new DemoLimiter({ perIpBurst: 2, perIpPerMinute: 6, maxSessions: 100 }, () => now);
    expect(limiter.admit('a')).toEqual({ ok: true });
    expect(limiter.admit('a')).toEqual({ ok: true });
    expect(limiter.admit('a')).toMatchObject({ ok: false, retryAfterSeconds: 10 });
    expect(limiter.admit('b')).toEqual({ ok: true });
    now += 5_000;
    expect(limiter.admit('a')).toMatchObject({ ok: false, retryAfterSeconds: 5 });
    now += 5_000;
    expect(limiter.admit('a')).toEqual({ ok: true });
  });

  it('refuses every address once the per-run cap is reached, without a Retry-After', () => {
    const limiter = new DemoLimiter({ perIpBurst: 10, perIpPerMinute: 10, maxSessions: 3 }, () => 0);
    expect([limiter.admit('a'), limiter.admit('b'), limiter.admit('c')]).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
    ]);
    expect(limiter.admit('d')).toMatchObject({ ok: false, retryAfterSeconds: undefined });
  });
});
