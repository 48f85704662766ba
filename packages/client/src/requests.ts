/**
 * Argument checks for requests, before any state is looked at: they fail the same way whether
 * or not the session is connected.
 */
import { validateSignal, type WireLimits } from '@parley/protocol';
import { ParleyError } from './errors.js';
import type { RequestBody } from './outbox.js';
import type { SignalOptions } from './types.js';

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
  if (typeof options !== 'object' || options === null) throw ParleyError.invalidParameter('signal() takes an options object');
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
