/**
 * Token roles and what each may do (OpenTok's table: the roles `opentok@2.23.2` lib/opentok.js generateToken accepts, and what the OpenTok docs' "Token creation" page says each may do).
 */

export type Role = 'subscriber' | 'publisher' | 'publisheronly' | 'moderator';

export const ROLES: readonly Role[] = ['subscriber', 'publisher', 'publisheronly', 'moderator'];

/** The role a token gets when it names none. */
export const DEFAULT_ROLE: Role = 'publisher';

/** What a connection may do; `session.capabilities` on the client. */
export interface Capabilities {
  readonly canPublish: boolean;
  readonly canSubscribe: boolean;
  readonly canSignal: boolean;
  readonly canForceDisconnect: boolean;
  readonly canForceUnpublish: boolean;
  readonly canForceMute: boolean;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

const TABLE: Readonly<Record<Role, Capabilities>> = {
  subscriber: caps(false, true, true, false),
  publisher: caps(true, true, true, false),
  publisheronly: caps(true, false, false, false),
  moderator: caps(true, true, true, true),
};

function caps(publish: boolean, subscribe: boolean, signal: boolean, moderate: boolean): Capabilities {
  return Object.freeze({
    canPublish: publish,
    canSubscribe: subscribe,
    canSignal: signal,
    canForceDisconnect: moderate,
    canForceUnpublish: moderate,
    canForceMute: moderate,
  });
}

/**
 * The capabilities of a role.
 * @example capabilitiesFor('subscriber').canPublish // false
 */
export function capabilitiesFor(role: Role): Capabilities {
  return TABLE[role];
}

/** Capabilities before a session is connected: nothing. */
export const NO_CAPABILITIES: Capabilities = Object.freeze({
  canPublish: false,
  canSubscribe: false,
  canSignal: false,
  canForceDisconnect: false,
  canForceUnpublish: false,
  canForceMute: false,
});
