import { describe, it, expect } from 'vitest';
import {
  CloseCode,
  SessionErrorCode,
  WIRE_CAPABILITIES,
  capabilityForClientMessage,
  capabilityForServerMessage,
  connectErrorForClose,
  formatWireCapabilities,
  isParleyCloseCode,
  isTerminalClose,
  isWireCapability,
  negotiateWireCapabilities,
  parseWireCapabilities,
  type ClientMessageType,
  type ServerMessageType,
} from '@parley/protocol';

describe('wire capabilities', () => {
  it('knows "reply" and "streams"', () => {
    expect(WIRE_CAPABILITIES).toEqual(['reply', 'streams']);
    expect(isWireCapability('streams')).toBe(true);
    expect(isWireCapability('reply')).toBe(true);
    expect(isWireCapability('Reply')).toBe(false);
    expect(isWireCapability(1)).toBe(false);
  });

  it('parses a caps value: none for an old client, unknown names and duplicates dropped', () => {
    expect(parseWireCapabilities(null)).toEqual([]);
    expect(parseWireCapabilities(undefined)).toEqual([]);
    expect(parseWireCapabilities('')).toEqual([]);
    expect(parseWireCapabilities('reply')).toEqual(['reply']);
    expect(parseWireCapabilities('video,reply,reply')).toEqual(['reply']);
    expect(parseWireCapabilities('streams,reply')).toEqual(['streams', 'reply']);
    expect(formatWireCapabilities(['reply'])).toBe('reply');
    expect(formatWireCapabilities([])).toBe('');
  });

  it('grants the intersection of what the client offers and the server supports', () => {
    expect(negotiateWireCapabilities(['reply'])).toEqual(['reply']);
    expect(negotiateWireCapabilities([])).toEqual([]);
    expect(negotiateWireCapabilities(['reply'], [])).toEqual([]);
  });

  it('names the capability each message type needs; version-1 types need none', () => {
    const v1Server: ServerMessageType[] = [
      'welcome',
      'resumed',
      'pong',
      'ack',
      'nack',
      'signal',
      'connectionCreated',
      'connectionDestroyed',
      'connectionReconnecting',
      'connectionReconnected',
    ];
    for (const t of v1Server) expect(capabilityForServerMessage(t)).toBeUndefined();
    expect(capabilityForServerMessage('reply')).toBe('reply');
    const v1Client: ClientMessageType[] = ['signal', 'forceDisconnect', 'ack', 'ping', 'bye'];
    for (const t of v1Client) expect(capabilityForClientMessage(t)).toBeUndefined();
    expect(capabilityForClientMessage('time')).toBe('reply');
  });
});

describe('close codes: node draining vs service shutdown', () => {
  it('4016 NodeDraining is not terminal (resume elsewhere); 4013 ServerShutdown is', () => {
    expect(CloseCode.NodeDraining).toBe(4016);
    expect(CloseCode.ServerShutdown).toBe(4013);
    expect(isTerminalClose(CloseCode.NodeDraining)).toBe(false);
    expect(isTerminalClose(CloseCode.ServerShutdown)).toBe(true);
  });

  it('isParleyCloseCode is the 4000–4999 range; 1006 is reported, never sent, and resumable', () => {
    expect(isParleyCloseCode(CloseCode.NodeDraining)).toBe(true);
    expect(isParleyCloseCode(3999)).toBe(false);
    expect(isParleyCloseCode(5000)).toBe(false);
    expect(isParleyCloseCode(CloseCode.AbnormalClosure)).toBe(false);
    expect(isTerminalClose(CloseCode.AbnormalClosure)).toBe(false);
  });

  it('a join closed with 4016 is retried like an unreachable server; with 4013 it is refused', () => {
    expect(connectErrorForClose(CloseCode.NodeDraining)).toBe(SessionErrorCode.ConnectionFailed);
    expect(connectErrorForClose(CloseCode.ServerShutdown)).toBe(SessionErrorCode.ConnectionRefused);
  });
});
