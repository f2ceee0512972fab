/** What an OAuth endpoint answers, for the HTTP layer to write (src/server/oauth-routes.ts). */
export interface OAuthResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON body; null: no body. */
  body: Record<string, unknown> | null;
}

/**
 * Token, introspection and revocation answers carry credentials or their status: never cached
 * anywhere (RFC 6749 §5.1, RFC 7662 §2.2).
 */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** The error codes of RFC 6749 §5.2 (and RFC 7009 §2.2.1) that these endpoints answer. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope' | 'temporarily_unavailable';

export function oauthError(status: number, error: OAuthErrorCode, description: string, headers: Record<string, string> = {}): OAuthResponse {
  return { status, headers: { ...NO_STORE, ...headers }, body: { error, error_description: description } };
}

/**
 * 401 invalid_client. RFC 6749 §5.2: a client that tried HTTP authentication gets a challenge of
 * the same scheme; one is sent always, so that any client learns how to authenticate.
 */
export function invalidClient(description = 'client authentication failed'): OAuthResponse {
  return oauthError(401, 'invalid_client', description, { 'www-authenticate': 'Basic realm="tessera", charset="UTF-8"' });
}

export function ok(body: Record<string, unknown> | null): OAuthResponse {
  return { status: 200, headers: { ...NO_STORE }, body };
}
