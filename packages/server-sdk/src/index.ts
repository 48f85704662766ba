/**
 * @parley/server-sdk: what a backend needs to use a Parley server, compatible with the official
 * OpenTok Node SDK on the wire: session IDs, client tokens (JWT and T1), REST authentication,
 * and the {@link Parley} REST client.
 */
export { mintSessionId } from './session-id.js';
export type { TokenFormat, TokenOptions } from './token-data.js';
export { generateToken } from './generate-token.js';
export { peekToken, type UnverifiedToken } from './peek-token.js';
export { verifyToken, type ConnectClaims, type VerifyOptions, type VerifyResult } from './verify-token.js';
export { mintRestJwt, verifyRestJwt, type RestAuthResult } from './rest-auth.js';
export { Parley, type ParleyOptions, type RevocationResult, type RevocationSelector } from './parley.js';
export { ParleyApiError } from './errors.js';
