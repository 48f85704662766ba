/**
 * How a server's routed sessions carry media, from its options, and the startup line that says
 * so. A routed session routes: Parley's forwarder is on by default (it costs nothing until the
 * first routed stream: its worker starts then), on a single server and on a Redis cluster node (the
 * Redis bus sends every node's calls for a session to the one node forwarding it:
 * media/cluster-router.ts). It is off by default only under an injected `bus` that cannot do that
 * (no `forwarderChannel`): there a node's forwarder would serve only its own clients. Wherever
 * routed sessions fall back to relayed media (forwarder off), a warning at startup says why; the
 * clients of such a session are told `mediaMode: 'relayed'` in their `welcome` (PROTOCOL.md §Streams).
 */
import { isIPv4 } from 'node:net';
import { isLoopback } from '../http/client-address.js';
import { DEFAULT_MEDIA_ADDRESS } from './create-forwarder.js';
import { forwarderMediaRouter } from './forwarder-router.js';
import type { MediaRouterFactory } from './router-hook.js';
import { FORWARDER_IMPLS, type ForwarderImpl } from './types.js';

/** The media part of the server's options, as given. */
export interface MediaOptionsInput {
  readonly mediaRouter?: unknown;
  readonly forwarder?: unknown;
  readonly mediaAddress?: unknown;
  readonly forwarderImpl?: unknown;
  /** Set when the server is a cluster node. */
  readonly redis?: unknown;
  readonly bus?: unknown;
  /** The address the server listens on. */
  readonly host: string;
}

/** A line for the server's log at startup. */
export interface MediaNotice {
  readonly level: 'info' | 'warn';
  readonly text: string;
}

/** What routed sessions use, and what to log about it at startup. */
export interface ResolvedMedia {
  readonly mediaRouter: MediaRouterFactory | undefined;
  readonly mediaNotices: readonly MediaNotice[];
}

const RELAYED = 'routed sessions carry their media relayed (peer to peer; their clients are told mediaMode relayed)';

export function resolveMedia(o: MediaOptionsInput): ResolvedMedia {
  if (o.mediaRouter !== undefined) {
    if (typeof o.mediaRouter !== 'function')
      throw new TypeError('mediaRouter must be a function (host) => MediaRouter');
    return { mediaRouter: o.mediaRouter as MediaRouterFactory, mediaNotices: [] };
  }
  if (o.forwarder !== undefined && typeof o.forwarder !== 'boolean')
    throw new TypeError(`forwarder must be a boolean; got ${JSON.stringify(o.forwarder)}`);
  const mediaAddress = mediaAddressOf(o.mediaAddress);
  const impl = forwarderImplOf(o.forwarderImpl);
  // An injected bus without a forwarder channel: each node's forwarder would serve only its own clients.
  const isolated =
    o.bus !== undefined && typeof (o.bus as { forwarderChannel?: unknown }).forwarderChannel !== 'function';
  const on = o.forwarder ?? !isolated;
  if (!on) {
    const why =
      o.forwarder === false
        ? 'the forwarder is off (forwarder: false, --forwarder 0)'
        : "this node's bus cannot send calls to one forwarder node per session, so its forwarder would serve only its own clients (forwarder: true routes them if every session's clients share one node)";
    return { mediaRouter: undefined, mediaNotices: [{ level: 'warn', text: `media: ${RELAYED}: ${why}` }] };
  }
  const mediaNotices: MediaNotice[] = [
    {
      level: 'info',
      text: `media: routed sessions go through the forwarder on ${mediaAddress} (UDP; its worker starts with the first routed stream)`,
    },
  ];
  if (isLoopback(mediaAddress) && !isLoopback(o.host) && o.host !== 'localhost')
    mediaNotices.push({
      level: 'warn',
      text: `media: the forwarder announces ${mediaAddress}, which only this machine can reach, while the server listens on ${o.host}: set mediaAddress (--media-address) to an address the clients reach over UDP`,
    });
  return { mediaRouter: forwarderMediaRouter({ mediaAddress, impl }), mediaNotices };
}

function forwarderImplOf(value: unknown): ForwarderImpl {
  if (value === undefined) return 'werift';
  if (typeof value !== 'string' || !(FORWARDER_IMPLS as readonly string[]).includes(value))
    throw new TypeError(`forwarderImpl must be one of ${FORWARDER_IMPLS.join(', ')} (got ${JSON.stringify(value)})`);
  return value as ForwarderImpl;
}

function mediaAddressOf(value: unknown): string {
  if (value === undefined) return DEFAULT_MEDIA_ADDRESS;
  if (typeof value !== 'string' || !isIPv4(value) || value === '0.0.0.0')
    throw new TypeError(
      `mediaAddress must be one IPv4 address of this machine, like '${DEFAULT_MEDIA_ADDRESS}' (got ${JSON.stringify(value)})`,
    );
  return value;
}
