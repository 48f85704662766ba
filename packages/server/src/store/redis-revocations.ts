/**
 * Token revocation rules in Redis (the cluster store's part of docs/OPERATIONS.md §Tokens):
 * - `revocation:{apiKey}\n{kind}\n{value}`: `{ revokedAt, expiresAt }` as JSON, expiring at
 *   `expiresAt` (Redis prunes it: nothing outlives the last token it could refuse);
 * - `revocations`: a sorted set of those rule IDs scored by `revokedAt`, for the watch every node
 *   runs (`listRevocations`); members whose rule has expired are removed as they are met.
 * A second rule for the same selector keeps the later `revokedAt` and `expiresAt`, as in SQLite.
 */
import type { Redis } from 'ioredis';
import type { Revocation, RevocationKind, TokenHolder } from '../tokens/revocation.js';
import { holderValue } from '../tokens/revocation.js';

const KINDS: readonly RevocationKind[] = ['session', 'data', 'token'];

// KEYS[1] the rule, KEYS[2] the index; ARGV: id, revokedAt, expiresAt.
const PUT_RULE = `
local old = redis.call('GET', KEYS[1])
local at, exp = tonumber(ARGV[2]), tonumber(ARGV[3])
if old then
  local o = cjson.decode(old)
  if o.revokedAt > at then at = o.revokedAt end
  if o.expiresAt > exp then exp = o.expiresAt end
end
redis.call('SET', KEYS[1], cjson.encode({ revokedAt = at, expiresAt = exp }), 'EXAT', exp)
redis.call('ZADD', KEYS[2], at, ARGV[1])
return 1`;

interface Stored {
  readonly revokedAt: number;
  readonly expiresAt: number;
}

/** The revocation half of {@link RedisStore}. */
export class RedisRevocations {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  #id(apiKey: string, kind: RevocationKind, value: string): string {
    return `${apiKey}\n${kind}\n${value}`;
  }

  #key(id: string): string {
    return `${this.prefix}revocation:${id}`;
  }

  #toRule(id: string, json: string | null, nowSeconds: number): Revocation | undefined {
    if (json === null) return undefined;
    const s = JSON.parse(json) as Stored;
    if (s.expiresAt <= nowSeconds) return undefined;
    const [apiKey = '', kind = 'session', value = ''] = id.split('\n');
    return { apiKey, kind: kind as RevocationKind, value, revokedAt: s.revokedAt, expiresAt: s.expiresAt };
  }

  async put(rule: Revocation, nowSeconds: number): Promise<void> {
    if (rule.expiresAt <= nowSeconds) return;
    const id = this.#id(rule.apiKey, rule.kind, rule.value);
    await this.redis.eval(
      PUT_RULE,
      2,
      this.#key(id),
      `${this.prefix}revocations`,
      id,
      String(rule.revokedAt),
      String(rule.expiresAt),
    );
  }

  async find(h: TokenHolder, nowSeconds: number): Promise<Revocation | undefined> {
    const ids = KINDS.map((k) => [k, holderValue(h, k)] as const)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => this.#id(h.apiKey, k, v));
    if (ids.length === 0) return undefined;
    const found = await this.redis.mget(ids.map((id) => this.#key(id)));
    for (let i = 0; i < ids.length; i++) {
      const rule = this.#toRule(ids[i] ?? '', found[i] ?? null, nowSeconds);
      if (rule !== undefined && (h.issuedAt ?? 0) <= rule.revokedAt) return rule;
    }
    return undefined;
  }

  async list(sinceSeconds: number, nowSeconds: number): Promise<Revocation[]> {
    const index = `${this.prefix}revocations`;
    const ids = await this.redis.zrangebyscore(index, String(sinceSeconds), '+inf');
    if (ids.length === 0) return [];
    const found = await this.redis.mget(ids.map((id) => this.#key(id)));
    const rules: Revocation[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const rule = this.#toRule(id, found[i] ?? null, nowSeconds);
      if (rule === undefined) gone.push(id);
      else rules.push(rule);
    });
    if (gone.length > 0) await this.redis.zrem(index, ...gone);
    return rules.sort((a, b) => a.revokedAt - b.revokedAt);
  }
}
