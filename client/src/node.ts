// @tessera/client/node — verifying Tessera's login tokens on a server (see README.md).
export { createVerifier, TokenRejectedError, type Verifier, type VerifierOptions, type ManagedOptions, type TesseraClaims } from './node/verifier.js';
export { createAuthenticator, bearerToken, toResponse, type AuthResult, type RequestLike } from './node/middleware.js';
export type { SubscriptionState } from './node/live-sessions.js';
export { TesseraError } from './shared/graphql-http.js';
