/**
 * Wire capabilities: how the protocol grows without a new version (PROTOCOL.md §Evolution).
 *
 * A client lists the capabilities it understands in the handshake query (`caps=reply,...`); the
 * server answers in `welcome.caps` with the ones it has too (the intersection). Neither side sends
 * the other a message type, or a request type, behind a capability that `welcome.caps` does not
 * list. A client that sends no `caps` (every client built before capabilities existed) gets none,
 * so it only ever sees the version-1 message types it knows.
 *
 * Not to be confused with a role's {@link Capabilities} (what a token's role may do).
 */
import type { ServerMessageType, ClientMessageType } from './messages.js';
import { isStreamMessageType, isStreamRequestType } from './streams.js';

/**
 * A named extension of protocol version 1.
 * - `reply`: the server may answer a request with a sequenced `reply {r, data}` (written before
 *   the `ack` that covers `r`, like `nack`), and the client may send the requests that are
 *   answered that way (`time`).
 * - `streams`: streams and media (PROTOCOL.md §Streams): `welcome.streams/mediaMode/iceServers`,
 *   the stream events and `media` messages, and the stream requests (`publish`, `subscribe`, …,
 *   answered with `reply` where they return data, so it needs `reply` granted too).
 */
export type WireCapability = 'reply' | 'streams';

/** Query parameter of the handshake that carries the client's capabilities, comma-separated. */
export const CAPABILITIES_PARAM = 'caps';

/** Every capability this version of the package knows, in a stable order. */
export const WIRE_CAPABILITIES: readonly WireCapability[] = Object.freeze(['reply', 'streams'] as const);

const KNOWN: ReadonlySet<string> = new Set<string>(WIRE_CAPABILITIES);

/** True for a capability name this package knows. */
export function isWireCapability(value: unknown): value is WireCapability {
  return typeof value === 'string' && KNOWN.has(value);
}

/**
 * The capabilities named in a `caps` query value. Names this package does not know are ignored
 * (a newer client may offer more than this server has), duplicates collapse, and a missing or
 * empty value is no capability at all (an old client).
 * @example parseWireCapabilities(url.searchParams.get(CAPABILITIES_PARAM)) // → ['reply']
 */
export function parseWireCapabilities(value: string | null | undefined): WireCapability[] {
  if (value === null || value === undefined || value === '') return [];
  const out: WireCapability[] = [];
  for (const name of value.split(',')) {
    if (isWireCapability(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/** The `caps` query value for a list of capabilities (`''` for none). */
export function formatWireCapabilities(caps: readonly WireCapability[]): string {
  return caps.join(',');
}

/**
 * What the server grants: the capabilities both sides have, in {@link WIRE_CAPABILITIES} order.
 * @param offered - what the client declared in the handshake
 * @param supported - what this server has enabled (default: every capability it knows)
 */
export function negotiateWireCapabilities(
  offered: readonly WireCapability[],
  supported: readonly WireCapability[] = WIRE_CAPABILITIES,
): WireCapability[] {
  return WIRE_CAPABILITIES.filter((c) => offered.includes(c) && supported.includes(c));
}

/**
 * The capability a server message type needs before the server may send it to a connection;
 * `undefined` for the version-1 types every client knows. The server must check this (or
 * guarantee it structurally) before writing a message; see PROTOCOL.md §Evolution.
 */
export function capabilityForServerMessage(t: ServerMessageType): WireCapability | undefined {
  if (t === 'reply') return 'reply';
  return isStreamMessageType(t) ? 'streams' : undefined;
}

/**
 * The capability a client request type needs before the client may send it (the server closes
 * with 4002 a request type the connection was not granted); `undefined` for the version-1 types.
 */
export function capabilityForClientMessage(t: ClientMessageType): WireCapability | undefined {
  if (t === 'time') return 'reply';
  return isStreamRequestType(t) ? 'streams' : undefined;
}
