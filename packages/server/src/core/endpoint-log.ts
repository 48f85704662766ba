/**
 * The endpoint's log lines: each connection's child logger (bound to its session, connection and
 * address, made on first use) and the refusals, which name what was refused and the close code.
 */
import { CloseCode, type ResumeParams } from '@parley/protocol';
import type { Logger } from '../log/logger.js';
import { logSafe } from '../log-safe.js';
import type { Connection } from './connection.js';

export class EndpointLog {
  constructor(readonly logger: Logger) {}

  /**
   * Whether info lines are written at all: when not (pino's default 'silent' level), a join or a
   * leave builds neither a child logger nor a message.
   */
  infoOn(): boolean {
    return this.logger.isLevelEnabled?.('info') ?? true;
  }

  /**
   * The connection's logger when info lines are written, else null: `infoFor(c)?.info(...)` builds
   * neither the fields nor the message when they would not be written.
   */
  infoFor(c: Connection): Logger | null {
    return this.infoOn() ? this.conn(c) : null;
  }

  /** The connection's child logger (bound to its session and connection IDs), made on first use. */
  conn(c: Connection): Logger {
    const bindings =
      c.ip === ''
        ? { sessionId: c.sessionId, connectionId: c.id }
        : { sessionId: c.sessionId, connectionId: c.id, ip: c.ip };
    return (c.log ??= this.logger.child(bindings));
  }

  joinRefused(sessionId: string, max: number): void {
    const code = CloseCode.ConnectionLimitExceeded;
    this.logger.info(
      { event: 'refused', sessionId, code, reason: 'session is full' },
      `join refused: session ${sessionId} is full (${max} connections) (${code})`,
    );
  }

  resumeRefused(p: ResumeParams, reason: string): void {
    const connectionId = logSafe(p.connectionId);
    this.logger.info(
      {
        event: 'refused',
        kind: 'resume',
        sessionId: logSafe(p.sessionId),
        connectionId,
        code: CloseCode.ResumeRefused,
        reason,
      },
      `resume refused: connection ${connectionId}: ${reason} (${CloseCode.ResumeRefused})`,
    );
  }
}
