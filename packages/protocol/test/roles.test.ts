import { describe, it, expect } from 'vitest';
import { DEFAULT_ROLE, NO_CAPABILITIES, ROLES, capabilitiesFor, isRole, type Role } from '@parley/protocol';

// OpenTok's role table (the OpenTok docs' "Token creation" page): publish / subscribe / signal / force* per role.
const TABLE: Record<Role, [publish: boolean, subscribe: boolean, signal: boolean, moderate: boolean]> = {
  subscriber: [false, true, true, false],
  publisher: [true, true, true, false],
  publisheronly: [true, false, false, false],
  moderator: [true, true, true, true],
};

describe('roles', () => {
  it.each(Object.entries(TABLE))(
    'capabilitiesFor(%s) matches the reference table',
    (role, [publish, subscribe, signal, moderate]) => {
      expect(capabilitiesFor(role as Role)).toEqual({
        canPublish: publish,
        canSubscribe: subscribe,
        canSignal: signal,
        canForceDisconnect: moderate,
        canForceUnpublish: moderate,
        canForceMute: moderate,
      });
      expect(Object.isFrozen(capabilitiesFor(role as Role))).toBe(true);
    },
  );

  it('knows exactly the four OpenTok roles, publisher by default', () => {
    expect([...ROLES].sort()).toEqual(Object.keys(TABLE).sort());
    expect(DEFAULT_ROLE).toBe('publisher');
    for (const role of ROLES) expect(isRole(role)).toBe(true);
    for (const value of ['admin', 'Publisher', '', undefined, null, 1]) expect(isRole(value)).toBe(false);
  });

  it('grants nothing before a session is connected', () => {
    expect(Object.values(NO_CAPABILITIES).every((v) => v === false)).toBe(true);
    expect(Object.keys(NO_CAPABILITIES).sort()).toEqual(Object.keys(capabilitiesFor('moderator')).sort());
  });
});
