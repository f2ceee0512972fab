import { realmIssuer } from '../token/jwt.js';

const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];

/**
 * A realm's metadata (OpenID Connect Discovery 1.0, RFC 8414) with only what is true of it: no
 * authorization endpoint, response types or ID tokens, which Tessera does not have — a field we
 * cannot honour would send a stock client down a path that fails later and less clearly.
 */
export function openidConfiguration(publicUrl: string, realmId: string, options: { backchannelLogout: boolean }): Record<string, unknown> {
  const issuer = realmIssuer(publicUrl, realmId);
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    token_endpoint: `${issuer}/oauth/token`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    grant_types_supported: ['refresh_token'],
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    ...(options.backchannelLogout ? { backchannel_logout_supported: true, backchannel_logout_session_supported: true } : {}),
  };
}
