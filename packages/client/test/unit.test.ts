import { describe, expect, it, vi } from 'vitest';
import { ACK_DELAY_MS, ACK_EVERY_MESSAGES, SessionErrorCode } from '@parley/protocol';
import {
  backoffDelay,
  defaultReconnectPolicy,
  ParleyError,
  Session,
  toWebSocketUrl,
  TypedEmitter,
} from '@parley/client';
import { Inbox } from '../src/inbox.js';
import { Liveness } from '../src/liveness.js';
import { Outbox } from '../src/outbox.js';
import { ManualTime, SESSION_ID } from './support/fixtures.js';

describe('backoffDelay (full jitter)', () => {
  it('is uniform below min(cap, base * 2^attempt)', () => {
    expect(backoffDelay(0, {}, () => 0.5)).toBe(125);
    expect(backoffDelay(1, {}, () => 0.5)).toBe(250);
    expect(backoffDelay(3, { base: 100 }, () => 0.999)).toBe(799);
    expect(backoffDelay(0, {}, () => 0)).toBe(0);
  });
  it('never exceeds the cap, even for huge attempt numbers', () => {
    expect(backoffDelay(50, { base: 250, cap: 5000 }, () => 0.9999)).toBe(4999);
    expect(backoffDelay(1000, {}, () => 0.5)).toBe(2500);
  });
  it('the default policy retries the first time at once, then backs off', () => {
    const policy = defaultReconnectPolicy({ base: 100, cap: 1000 }, () => 0.5);
    expect(policy.nextRetryDelay({ attempt: 0, elapsed: 0, remaining: 30_000 })).toBe(0);
    expect(policy.nextRetryDelay({ attempt: 1, elapsed: 0, remaining: 30_000 })).toBe(50);
    expect(policy.nextRetryDelay({ attempt: 2, elapsed: 0, remaining: 30_000 })).toBe(100);
    expect(policy.nextRetryDelay({ attempt: 10, elapsed: 0, remaining: 30_000 })).toBe(500);
  });
});

describe('Outbox', () => {
  it('numbers requests from 1; an ack resolves all up to it, a nack rejects one', async () => {
    const box = new Outbox();
    const a = box.add({ t: 'signal', data: 'a' });
    const b = box.add({ t: 'signal', data: 'b' });
    const c = box.add({ t: 'signal', data: 'c' });
    expect([a.request.s, b.request.s, c.request.s]).toEqual([1, 2, 3]);
    box.nack(2, new ParleyError(SessionErrorCode.NotFound, 'nope'));
    box.ack(2);
    await expect(a.done).resolves.toBeUndefined();
    await expect(b.done).rejects.toMatchObject({ code: 404 });
    expect(box.size).toBe(1);
    box.ack(3);
    await expect(c.done).resolves.toBeUndefined();
  });
  it('after a resume, re-sends only what the server lacks, in order, and keeps the rest waiting', async () => {
    const box = new Outbox();
    const reqs = [1, 2, 3, 4].map((n) => box.add({ t: 'signal', data: String(n) }));
    expect(box.unprocessedAfter(2).map((r) => r.s)).toEqual([3, 4]);
    expect(box.size).toBe(4);
    box.nack(1, new ParleyError(SessionErrorCode.InvalidSignalType, 'bad'));
    box.ack(4);
    await expect(reqs[0]?.done).rejects.toMatchObject({ code: 1461 });
    await Promise.all(reqs.slice(1).map((r) => r.done));
  });
  it('reset rejects everything and numbers from 1 again', async () => {
    const box = new Outbox();
    const a = box.add({ t: 'signal' });
    box.reset(ParleyError.notConnected());
    await expect(a.done).rejects.toMatchObject({ code: 1010 });
    expect(box.add({ t: 'signal' }).request.s).toBe(1);
  });
});

describe('Inbox', () => {
  it(`acks ${ACK_DELAY_MS} ms after the first unacknowledged message`, () => {
    const time = new ManualTime();
    const acks: number[] = [];
    const inbox = new Inbox(time.timers, (a) => acks.push(a));
    inbox.noteSequenced();
    inbox.noteSequenced();
    time.advance(ACK_DELAY_MS - 1);
    expect(acks).toEqual([]);
    time.advance(1);
    expect(acks).toEqual([2]);
  });
  it(`acks at once after ${ACK_EVERY_MESSAGES} messages`, () => {
    const time = new ManualTime();
    const acks: number[] = [];
    const inbox = new Inbox(time.timers, (a) => acks.push(a));
    for (let i = 0; i < ACK_EVERY_MESSAGES; i++) inbox.noteSequenced();
    expect(acks).toEqual([ACK_EVERY_MESSAGES]);
    expect(time.size).toBe(0);
  });
  it('a ping carrying the position cancels the scheduled ack', () => {
    const time = new ManualTime();
    const acks: number[] = [];
    const inbox = new Inbox(time.timers, (a) => acks.push(a));
    inbox.noteSequenced();
    expect(inbox.takeAck()).toBe(1);
    time.advance(1000);
    expect(acks).toEqual([]);
  });
});

describe('Liveness (wall-clock deadline)', () => {
  it('pings every interval while frames arrive', () => {
    const time = new ManualTime();
    const ping = vi.fn();
    const dead = vi.fn();
    const live = new Liveness({ clock: time.clock, timers: time.timers, interval: 100, timeout: 350, ping, dead });
    for (let i = 0; i < 5; i++) {
      time.advance(100);
      live.received();
    }
    expect(ping).toHaveBeenCalledTimes(5);
    expect(dead).not.toHaveBeenCalled();
    live.stop();
  });
  it('declares the peer dead on the first tick past the timeout', () => {
    const time = new ManualTime();
    const dead = vi.fn();
    new Liveness({ clock: time.clock, timers: time.timers, interval: 100, timeout: 350, ping: () => undefined, dead });
    time.advance(300);
    expect(dead).not.toHaveBeenCalled();
    time.advance(100);
    expect(dead).toHaveBeenCalledWith(400);
    expect(time.size).toBe(0);
  });
  it('notices at once when the clock jumped (a throttled timer or a sleeping laptop)', () => {
    const time = new ManualTime();
    const dead = vi.fn();
    const live = new Liveness({
      clock: time.clock,
      timers: time.timers,
      interval: 100,
      timeout: 350,
      ping: () => undefined,
      dead,
    });
    time.now += 10_000; // the clock moved, no timer ran
    expect(live.check()).toBe(false);
    expect(dead).toHaveBeenCalledWith(10_000);
  });
});

describe('TypedEmitter', () => {
  it('a throwing listener is reported and the others still run; on() returns an unsubscribe', () => {
    const reported: string[] = [];
    const emitter = new TypedEmitter<{ x: { n: number } }>((_e, event) => reported.push(event));
    const seen: number[] = [];
    emitter.on('x', () => {
      throw new Error('boom');
    });
    const off = emitter.on('x', ({ n }) => seen.push(n));
    emitter.once('x', ({ n }) => seen.push(n * 10));
    emitter.emit('x', { n: 1 });
    off();
    emitter.emit('x', { n: 2 });
    expect(seen).toEqual([1, 10]);
    expect(reported).toEqual(['x', 'x']);
  });
});

describe('options', () => {
  it('converts http(s) and ws(s) base URLs to the WebSocket endpoint', () => {
    expect(toWebSocketUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/v1/ws');
    expect(toWebSocketUrl('ws://h:1')).toBe('ws://h:1/v1/ws');
    expect(toWebSocketUrl('wss://h')).toBe('wss://h/v1/ws');
    expect(toWebSocketUrl('https://h/')).toBe('wss://h/v1/ws');
  });
  it('keeps a path as a prefix, for a server behind a proxy that routes by path', () => {
    expect(toWebSocketUrl('https://example.com/parley')).toBe('wss://example.com/parley/v1/ws');
    expect(toWebSocketUrl('https://example.com/parley/')).toBe('wss://example.com/parley/v1/ws');
    expect(toWebSocketUrl('http://example.com:8080/a/b?x=1#f')).toBe('ws://example.com:8080/a/b/v1/ws');
    // A URL that already names the endpoint is used as it is.
    expect(toWebSocketUrl('wss://example.com/parley/v1/ws')).toBe('wss://example.com/parley/v1/ws');
    expect(toWebSocketUrl('ws://h/v1/ws')).toBe('ws://h/v1/ws');
  });
  it('rejects misuse at construction with a precise message', () => {
    expect(() => new Session('1', SESSION_ID)).toThrow(/options.url is required/);
    expect(() => new Session('1', SESSION_ID, undefined, { url: 'ftp://x' })).toThrow(/must start with http/);
    expect(() => new Session('1', SESSION_ID, undefined, { url: 'http://x', connectAttempts: 0 })).toThrow(
      /connectAttempts/,
    );
    expect(() => new Session('1', SESSION_ID, undefined, { url: 'http://x', openTimeout: -1 })).toThrow(/openTimeout/);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 60])
      expect(() => new Session(bad, SESSION_ID, undefined, { url: 'http://x' })).toThrow(
        /apiKey must be a string or a non-negative integer/,
      );
    expect(() => new Session({} as unknown as string, SESSION_ID, undefined, { url: 'http://x' })).toThrow(
      'apiKey must be a string or a number',
    );
    try {
      new Session('1', SESSION_ID, undefined, { url: 'nope' });
    } catch (e) {
      expect(e).toBeInstanceOf(ParleyError);
      expect((e as ParleyError).code).toBe(SessionErrorCode.NullOrInvalidParameter);
    }
  });
});
