/**
 * The client address of a request: what every per-address limit counts and what logs show.
 *
 * Without a proxy (`trustProxy: 0`, the default) it is the TCP peer's address, and the
 * `X-Forwarded-For` / `Forwarded` headers are ignored: anyone can write them. Behind N proxies that
 * each append the address they received from (`trustProxy: N`), the chain is
 * `[…what the client claimed, hop N's peer, …, hop 1's peer] + socket peer`; the client is the
 * address N places left of the socket peer, and whatever lies further left (the client's own
 * claims) is never read. docs/OPERATIONS.md §Behind a reverse proxy.
 *
 * ```
 *  trustProxy 1:  X-Forwarded-For: 6.6.6.6, 203.0.113.7   socket 10.0.0.2 (the proxy)  → 203.0.113.7
 *  trustProxy 0:  (headers ignored)                        socket 10.0.0.2             → 10.0.0.2
 * ```
 */
import type { IncomingMessage } from 'node:http';
import { isIP, isIPv6 } from 'node:net';

/** Which header the trusted proxies write the client chain into. */
export type ProxyHeader = 'x-forwarded-for' | 'forwarded';

/** How far to trust forwarding headers (server options `trustProxy` and `proxyHeader`). */
export interface ProxyTrust {
  /** Proxies in front of this server, each of which appends its peer to the header. 0: trust none. */
  readonly hops: number;
  readonly header: ProxyHeader;
}

/** Trust no header: the socket peer is the client. */
export const NO_PROXY: Readonly<ProxyTrust> = Object.freeze({ hops: 0, header: 'x-forwarded-for' });

/** `::ffff:1.2.3.4` → `1.2.3.4`; anything else unchanged. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

/** One element of a forwarding list as an address: ports, brackets and quotes removed; undefined if not an IP. */
function parseHop(raw: string): string | undefined {
  let value = raw.trim();
  if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    value = end < 0 ? '' : value.slice(1, end);
  } else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  return isIP(value) === 0 ? undefined : unmapped(value);
}

/** The `for=` values of a `Forwarded` header (RFC 7239), in order. */
function forwardedFor(header: string): string[] {
  const out: string[] = [];
  for (const element of header.split(',')) {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === 'for') out.push(pair.slice(eq + 1));
    }
  }
  return out;
}

/** A header's values (repeated headers joined), or []. */
function headerList(req: IncomingMessage, name: ProxyHeader): string[] {
  const raw = req.headers[name];
  if (raw === undefined) return [];
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  return name === 'forwarded' ? forwardedFor(text) : text.split(',');
}

/**
 * The client address of `req`: the socket peer, or with `trust.hops > 0` the address that many
 * trusted hops back in the forwarding header. An entry that is not an IP address (`unknown`, an
 * obfuscated name, garbage) stops the walk: the last trusted address is used. Never throws.
 * @example clientAddress(req, { hops: 1, header: 'x-forwarded-for' }) // '203.0.113.7'
 */
export function clientAddress(req: IncomingMessage, trust: Readonly<ProxyTrust> = NO_PROXY): string {
  let address = unmapped(req.socket.remoteAddress ?? '');
  if (trust.hops === 0) return address;
  const chain = headerList(req, trust.header);
  for (let i = 0; i < trust.hops && chain.length > 0; i++) {
    const hop = parseHop(chain.pop() as string);
    if (hop === undefined) break;
    address = hop;
  }
  return address;
}

/** True for 127.0.0.0/8 and ::1 (also IPv4-mapped). */
export function isLoopback(address: string): boolean {
  const a = unmapped(address);
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

/**
 * The key a client address is limited under: an IPv4 address (also when IPv4-mapped), or the /64
 * prefix of an IPv6 address (one subscriber usually holds a whole /64, so counting single IPv6
 * addresses would be no limit at all).
 * @example clientKey('::ffff:10.0.0.7') // '10.0.0.7'
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined) return '';
  const plain = unmapped(address);
  if (!isIPv6(plain)) return plain;
  const [head = '', tail = ''] = plain.toLowerCase().split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const groups = plain.includes('::')
    ? [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
    : headGroups;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
