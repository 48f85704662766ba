import { CloseCode } from './codes.js';

/**
 * A frame broke the protocol. `closeCode` says how the receiving side closes the socket.
 * @example
 * try { decodeClientFrame(text) } catch (e) { if (e instanceof ProtocolError) ws.close(e.closeCode, e.message) }
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    message: string,
    readonly closeCode: CloseCode = CloseCode.ProtocolError,
  ) {
    super(message);
  }
}
