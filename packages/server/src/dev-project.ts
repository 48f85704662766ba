import { randomBytes, randomInt } from 'node:crypto';
import type { Project } from './store/store.js';

/**
 * A development project with OpenTok-shaped credentials: an 8-digit API key (no leading zero)
 * and a 40-hex-character secret.
 * @example const project = newDevProject(); // { apiKey: '47281930', apiSecret: '9f…', createdAt }
 */
export function newDevProject(now = Date.now()): Project {
  const apiKey = String(randomInt(10_000_000, 100_000_000));
  return { apiKey, apiSecret: randomBytes(20).toString('hex'), createdAt: now };
}
