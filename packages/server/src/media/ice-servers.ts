/**
 * The `iceServers` server option: the STUN/TURN servers every client gets in `welcome`
 * (capability `streams`) for its peer connections.
 */
import type { IceServerInfo } from '@parley/protocol';

const URL_PATTERN = /^(stun|stuns|turn|turns):[^\s]+$/;

/**
 * Validate the option; throws a TypeError naming the first bad entry.
 * @example iceServersOf([{ urls: 'stun:stun.example.com:3478' }, { urls: ['turn:turn.example.com'], username: 'u', credential: 'p' }])
 */
export function iceServersOf(value: unknown): readonly IceServerInfo[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) throw new TypeError('iceServers must be an array of { urls, username?, credential? }');
  return Object.freeze(
    value.map((entry: unknown, i): IceServerInfo => {
      const where = `iceServers[${i}]`;
      if (typeof entry !== 'object' || entry === null) throw new TypeError(`${where} must be an object`);
      const { urls, username, credential } = entry as Record<string, unknown>;
      const list = typeof urls === 'string' ? [urls] : urls;
      if (!Array.isArray(list) || list.length === 0 || !list.every((u) => typeof u === 'string' && URL_PATTERN.test(u)))
        throw new TypeError(`${where}.urls must be a stun:, stuns:, turn: or turns: URL, or a non-empty array of them`);
      if (username !== undefined && typeof username !== 'string')
        throw new TypeError(`${where}.username must be a string`);
      if (credential !== undefined && typeof credential !== 'string')
        throw new TypeError(`${where}.credential must be a string`);
      return {
        urls: typeof urls === 'string' ? urls : [...(list as string[])],
        ...(username !== undefined && { username }),
        ...(credential !== undefined && { credential }),
      };
    }),
  );
}
