/**
 * Argument checks shared by the public functions: one precise `TypeError` message per misuse.
 * @internal
 */

/** API keys: OpenTok's are numeric, Vonage's are UUIDs; both fit. At most 64 characters so a session ID stays short. */
const API_KEY = /^[A-Za-z0-9._-]{1,64}$/;

/** Throws unless `apiKey` is 1–64 characters of `[A-Za-z0-9._-]`; returns it. */
export function checkApiKey(apiKey: unknown): string {
  if (typeof apiKey !== 'string') throw new TypeError(`apiKey must be a string, got ${describe(apiKey)}`);
  if (!API_KEY.test(apiKey)) {
    throw new TypeError('apiKey must be 1 to 64 characters of letters, digits, ".", "_" and "-"');
  }
  return apiKey;
}

/** Throws unless `apiSecret` is a non-empty string; returns it. */
export function checkApiSecret(apiSecret: unknown): string {
  if (typeof apiSecret !== 'string') throw new TypeError(`apiSecret must be a string, got ${describe(apiSecret)}`);
  if (apiSecret.length === 0) throw new TypeError('apiSecret must not be empty');
  return apiSecret;
}

/** Throws unless `value` is a finite number (used for "now" overrides); returns it. */
export function checkSeconds(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a finite number of seconds, got ${describe(value)}`);
  }
  return value;
}

/** Throws unless `value` is a non-null object (an options bag); returns it. */
export function checkObject<T extends object>(name: string, value: T): T {
  const v: unknown = value;
  if (typeof v !== 'object' || v === null) throw new TypeError(`${name} must be an object, got ${describe(v)}`);
  return value;
}

/** Throws unless `value` is one of `allowed`; returns it, typed. */
export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    const list = allowed.map((a) => `'${a}'`);
    throw new TypeError(
      `${name} must be ${list.slice(0, -1).join(', ')} or ${list.at(-1) ?? ''}, got ${describe(value)}`,
    );
  }
  return value as T;
}

/** Unix time in whole seconds, floored (what `iat` uses). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A value as string concatenation shows it (the official SDK's messages), described when not a string or number. */
export function plain(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : describe(value);
}

/** A short description of a bad value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}
