/**
 * The private redis-server the cluster tests start: its own port (never 6379), answers PING,
 * keeps its data across a restart, loses it on `restart({ empty: true })`, freezes on pause,
 * and leaves nothing behind.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, redisCommand, type RedisServer } from '@parley/testkit';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

describe('startRedisServer', () => {
  it('runs on its own loopback port and answers PING', async () => {
    expect(redis.port).not.toBe(6379);
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(redis.running).toBe(true);
    expect(await redis.command('PING')).toBe('+PONG');
  });

  it('keeps its data across a restart, and loses it on an empty restart', async () => {
    expect(await redis.command('SET', 'k', 'v')).toBe('+OK');
    await redis.restart();
    expect(await redis.command('GET', 'k')).toBe('$1');
    await redis.restart({ empty: true });
    expect(await redis.command('GET', 'k')).toBe('$-1');
  });

  it('is unreachable while shut down or killed, and back on the same port after start()', async () => {
    await redis.shutdown();
    expect(redis.running).toBe(false);
    await expect(redisCommand(redis.port, ['PING'])).rejects.toThrow(/ECONNREFUSED/);
    await redis.start();
    expect(await redis.command('PING')).toBe('+PONG');
    await redis.kill();
    await expect(redisCommand(redis.port, ['PING'])).rejects.toThrow(/ECONNREFUSED/);
    await redis.start();
    expect(await redis.command('PING')).toBe('+PONG');
  });

  it('answers nothing while paused, and again once resumed', async () => {
    redis.pause();
    await expect(redisCommand(redis.port, ['PING'], 300)).rejects.toThrow(/timed out/);
    redis.resume();
    expect(await redis.command('PING')).toBe('+PONG');
  });

  it('removes its directory when stopped for good', async () => {
    const other = await startRedisServer();
    expect(other.port).not.toBe(redis.port);
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
    await expect(other.start()).rejects.toThrow(/stopped for good/);
  });
});
