/**
 * Signal validation, shared by the client (to fail fast) and the server (which never trusts the client).
 */
import { SessionErrorCode } from './codes.js';
import { MAX_SIGNAL_DATA_LENGTH, MAX_SIGNAL_TYPE_LENGTH, SIGNAL_TYPE_PATTERN } from './limits.js';

export interface SignalProblem {
  readonly code: SessionErrorCode;
  readonly message: string;
}

/**
 * Check a signal's type and data. Returns null when valid.
 * An absent type is allowed; an empty string type is allowed too (as OpenTok's native SDKs allow
 * it) and means "no type".
 * @example validateSignal({ type: 'chat', data: 'hi' }) // null
 */
export function validateSignal(
  signal: { type?: unknown; data?: unknown },
  maxType = MAX_SIGNAL_TYPE_LENGTH,
  maxData = MAX_SIGNAL_DATA_LENGTH,
): SignalProblem | null {
  const { type, data } = signal;
  if (type !== undefined && type !== '') {
    if (typeof type !== 'string') {
      return { code: SessionErrorCode.InvalidSignalType, message: 'signal type must be a string' };
    }
    if (type.length > maxType) {
      return {
        code: SessionErrorCode.InvalidSignalType,
        message: `signal type is ${type.length} characters; at most ${maxType} allowed`,
      };
    }
    if (!SIGNAL_TYPE_PATTERN.test(type)) {
      return {
        code: SessionErrorCode.InvalidSignalType,
        message: "signal type may only contain letters, digits, '-', '_', '~' and '.'",
      };
    }
  }
  if (data !== undefined) {
    if (typeof data !== 'string') {
      return { code: SessionErrorCode.NullOrInvalidParameter, message: 'signal data must be a string' };
    }
    if (data.length > maxData) {
      return {
        code: SessionErrorCode.SignalDataTooLong,
        message: `signal data is ${data.length} characters; at most ${maxData} allowed`,
      };
    }
  }
  return null;
}
