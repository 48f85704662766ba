/**
 * The session's requests (`signal`, `forceDisconnect`, `time`): argument checks first (they fail
 * the same way whether or not the session is connected), then the status, the role and the
 * capabilities granted, then numbering in the outbox and sending, at once when Connected or after
 * the resume when Reconnecting.
 */
import {
  capabilityForClientMessage,
  SessionErrorCode,
  validateSignal,
  type AckMessage,
  type ClientMessage,
  type JsonValue,
  type NackMessage,
  type ReplyMessage,
  type WireCapability,
  type WireLimits,
} from '@parley/protocol';
import { ParleyError } from './errors.js';
import type { Outbox, RequestBody } from './outbox.js';
import type { Roster } from './roster.js';
import { SessionConnectionStatus as Status, type SignalOptions } from './types.js';

/** The connection ID of a `Connection` or an ID string; throws 1011 for anything else. @internal */
export function connectionIdOf(value: unknown, name: string): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'object' && value !== null) {
    const id = (value as { connectionId?: unknown }).connectionId;
    if (typeof id === 'string' && id !== '') return id;
  }
  throw ParleyError.invalidParameter(`${name} must be a Connection or a non-empty connection ID`);
}

/** Check a signal's options and build its request body; throws 1461 / 1413 / 1011. @internal */
export function signalBody(options: SignalOptions, limits: WireLimits | null): RequestBody {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the public API is called from plain JavaScript too
  if (typeof options !== 'object' || options === null)
    throw ParleyError.invalidParameter('signal() takes an options object');
  const problem = validateSignal(options, limits?.maxSignalTypeLength, limits?.maxSignalDataLength);
  if (problem !== null) throw new ParleyError(problem.code, problem.message);
  if (options.retryAfterReconnect !== undefined && typeof options.retryAfterReconnect !== 'boolean') {
    throw ParleyError.invalidParameter('retryAfterReconnect must be a boolean');
  }
  const to = options.to === undefined ? undefined : connectionIdOf(options.to, '"to"');
  return {
    t: 'signal',
    ...(options.type !== undefined && options.type !== '' && { type: options.type }),
    ...(options.data !== undefined && { data: options.data }),
    ...(to !== undefined && { to }),
  };
}

/** Throw 1010 unless a request may be made in `status`. @internal */
export function checkRequestState(status: Status, retryAfterReconnect: boolean): void {
  if (status === Status.Reconnecting && !retryAfterReconnect) {
    throw ParleyError.notConnected('the session is reconnecting and retryAfterReconnect is false');
  }
  if (status !== Status.Connected && status !== Status.Reconnecting) {
    throw ParleyError.notConnected(`the session is not connected (${Status[status]})`);
  }
}

/** What `session.signal()` and `session.forceDisconnect()` do; they settle on the server's ack or nack. @internal */
export class Requests {
  constructor(
    private readonly outbox: Outbox,
    private readonly roster: Roster,
    private readonly link: { send(message: ClientMessage): void },
  ) {}

  async signal(options: SignalOptions, status: Status, limits: WireLimits | null): Promise<void> {
    const body = signalBody(options, limits);
    checkRequestState(status, options.retryAfterReconnect !== false);
    if (!this.roster.capabilities.canSignal)
      throw new ParleyError(SessionErrorCode.UnableToSendSignal, 'this role may not send signals');
    if (body.t === 'signal' && body.to !== undefined) this.roster.checkKnown(body.to);
    await this.request(body, status);
  }

  async forceDisconnect(connection: unknown, status: Status): Promise<void> {
    const connectionId = connectionIdOf(connection, 'connection');
    checkRequestState(status, true);
    if (!this.roster.capabilities.canForceDisconnect) {
      throw new ParleyError(SessionErrorCode.UnableToForceDisconnect, 'only a moderator may force a disconnect');
    }
    this.roster.checkKnown(connectionId);
    await this.request({ t: 'forceDisconnect', connectionId }, status);
  }

  /**
   * The server's clock (ms since the epoch), from a `time` request answered by a `reply`; needs
   * the `reply` capability, which a server built before capabilities does not grant (1015 then).
   */
  async time(status: Status, granted: readonly WireCapability[]): Promise<number> {
    checkRequestState(status, true);
    const data = await this.request({ t: 'time' }, status, granted);
    const now =
      typeof data === 'object' && data !== null && !Array.isArray(data)
        ? (data as { readonly [key: string]: JsonValue }).now
        : undefined;
    if (typeof now !== 'number') {
      throw new ParleyError(SessionErrorCode.InternalError, `the server answered "time" with ${JSON.stringify(data)}`);
    }
    return now;
  }

  /**
   * Number the request and send it now (Connected) or after the resume (Reconnecting). Resolves
   * with the result of its `reply`, if the server sent one. A request type behind a capability the
   * server did not grant is refused here (1015): the server would close the connection for it.
   */
  /** @internal */
  request(body: RequestBody, status: Status, granted?: readonly WireCapability[]): Promise<JsonValue | undefined> {
    const needs = capabilityForClientMessage(body.t);
    if (needs !== undefined && !(granted ?? []).includes(needs)) {
      return Promise.reject(
        ParleyError.illegalState(`the server does not support "${body.t}" (capability "${needs}" not granted)`),
      );
    }
    const { request, done } = this.outbox.add(body);
    if (status === Status.Connected) this.link.send(request);
    return done;
  }

  /**
   * The server's verdict: `ack {a}` resolves every request up to `a` (with the result of its
   * `reply`, if any), `nack {r}` rejects request `r`, `reply {r}` records request `r`'s result.
   */
  settle(message: AckMessage | NackMessage | ReplyMessage): void {
    if (message.t === 'ack') {
      this.outbox.ack(message.a);
      return;
    }
    if (message.t === 'reply') {
      this.outbox.reply(message.r, message.data);
      return;
    }
    // The server sends codes from SessionErrorCode; one this build does not know still reaches the caller as its number.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
    this.outbox.nack(message.r, new ParleyError(message.code, message.message));
  }
}
