/**
 * The client address (http/client-address.ts): forwarding headers read only as far as
 * `trustProxy` says, and the validation of the operations options.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { resolveServerOptions } from '@parley/server';
import { clientAddress, isLoopback, type ProxyTrust } from '../src/http/client-address.js';

function req(remoteAddress: string, headers: Record<string, string | string[]> = {}): IncomingMessage {
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

const xff = (hops: number): ProxyTrust => ({ hops, header: 'x-forwarded-for' });
const fwd = (hops: number): ProxyTrust => ({ hops, header: 'forwarded' });

describe('clientAddress', () => {
  it('is the socket peer without trust, whatever the headers say', () => {
    expect(clientAddress(req('10.0.0.2', { 'x-forwarded-for': '6.6.6.6' }))).toBe('10.0.0.2');
    expect(clientAddress(req('::ffff:10.0.0.2'))).toBe('10.0.0.2');
  });

  it('with N trusted hops takes the address N places left of the peer, never further', () => {
    const r = req('10.0.0.2', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' });
    expect(clientAddress(r, xff(1))).toBe('203.0.113.7');
    expect(clientAddress(r, xff(2))).toBe('6.6.6.6');
    // More hops trusted than entries: the leftmost entry (the client itself spoke to the first proxy).
    expect(clientAddress(r, xff(5))).toBe('6.6.6.6');
    // Repeated headers are one list.
    expect(clientAddress(req('10.0.0.2', { 'x-forwarded-for': ['6.6.6.6', '203.0.113.7'] }), xff(1))).toBe(
      '203.0.113.7',
    );
  });

  it('without the header, or with garbage in it, falls back to the last trusted address', () => {
    expect(clientAddress(req('10.0.0.2'), xff(1))).toBe('10.0.0.2');
    expect(clientAddress(req('10.0.0.2', { 'x-forwarded-for': 'unknown' }), xff(1))).toBe('10.0.0.2');
    expect(clientAddress(req('10.0.0.2', { 'x-forwarded-for': 'bogus, 203.0.113.7' }), xff(2))).toBe('203.0.113.7');
  });

  it('reads ports, brackets and quotes of RFC 7239 Forwarded', () => {
    const r = req('10.0.0.2', {
      forwarded: 'for=198.51.100.1;proto=https, for="[2001:db8::17]:4711";by=10.0.0.1',
      'x-forwarded-for': '6.6.6.6',
    });
    expect(clientAddress(r, fwd(1))).toBe('2001:db8::17');
    expect(clientAddress(r, fwd(2))).toBe('198.51.100.1');
    expect(clientAddress(req('10.0.0.2', { 'x-forwarded-for': '203.0.113.7:5555' }), xff(1))).toBe('203.0.113.7');
    // The header not configured is never read.
    expect(clientAddress(req('10.0.0.2', { forwarded: 'for=6.6.6.6' }), xff(1))).toBe('10.0.0.2');
  });

  it('knows loopback', () => {
    expect(['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['10.0.0.1', '::2', ''].map(isLoopback)).toEqual([false, false, false]);
  });
});

describe('operations options', () => {
  it('have documented defaults', () => {
    const o = resolveServerOptions({});
    expect(o.trustProxy).toEqual({ hops: 0, header: 'x-forwarded-for' });
    expect(o.connectionLimits).toEqual({ perIpBurst: 50, perIpPerSecond: 10, perIpMax: 1000, exemptLoopback: true });
    expect(o.sessionCreation).toEqual({ perSecond: 100, burst: 1000 });
    expect(o.metrics).toEqual({ enabled: true, token: undefined });
    expect(o.allowedOrigins).toEqual([]);
    expect(o.drainDelay).toBe(0);
    expect(o.httpTimeouts.headersTimeout).toBe(20_000);
  });

  it.each([
    [{ trustProxy: -1 }, /trustProxy must be an integer ≥ 0/],
    [{ trustProxy: 1.5 }, /trustProxy must be an integer ≥ 0/],
    [{ proxyHeader: 'x-real-ip' }, /proxyHeader must be 'x-forwarded-for' or 'forwarded'/],
    [{ connectionLimits: { perIpMax: 0 } }, /connectionLimits\.perIpMax must be an integer ≥ 1/],
    [{ connectionLimits: { perIpPerSecond: 0 } }, /connectionLimits\.perIpPerSecond must be a positive number/],
    [{ connectionLimits: { exemptLoopback: 'yes' } }, /connectionLimits\.exemptLoopback must be a boolean/],
    [{ allowedOrigins: ['app.example.com'] }, /allowedOrigins must be an array of origins/],
    [{ sessionCreation: { burst: 0 } }, /sessionCreation\.burst must be an integer ≥ 1/],
    [{ metrics: { token: '' } }, /metrics\.token must be a non-empty string/],
    [{ metrics: { enabled: 1 } }, /metrics\.enabled must be a boolean/],
    [{ drainDelay: -5 }, /drainDelay must be an integer ≥ 0/],
  ])('%j is refused with a precise message', (options, message) => {
    expect(() => resolveServerOptions(options as never)).toThrow(message);
  });
});
