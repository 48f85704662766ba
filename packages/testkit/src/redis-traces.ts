/**
 * What a Redis server still holds of a node: for "nothing of a dead node is left in Redis"
 * (issue 13). Reads every key (test data sets are small), so never point it at a shared server.
 */
import { Redis } from 'ioredis';

/** Every key that names `nodeId`, or whose value (hash value, set or zset member, string) does. */
export async function redisTraces(url: string, nodeId: string): Promise<string[]> {
  const r = new Redis(url);
  try {
    const found: string[] = [];
    for (const key of await r.keys('*')) {
      const type = await r.type(key);
      let values: string[] = [];
      if (type === 'hash') values = await r.hvals(key);
      else if (type === 'set') values = await r.smembers(key);
      else if (type === 'zset') values = await r.zrange(key, '0', '-1');
      else if (type === 'string') values = [(await r.get(key)) ?? ''];
      if (key.includes(nodeId) || values.some((v) => v.includes(nodeId))) found.push(key);
    }
    return found;
  } finally {
    r.disconnect();
  }
}
