import type { Services } from '../services.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { AuthenticatedClient } from '../client/client.service.js';
import { invalidClient, oauthError, ok, type OAuthResponse } from './oauth-response.js';
import { presentedClient } from './client-credentials.js';
import type { FormParams } from './form.js';

/** One OAuth request, its form already parsed (src/server/oauth-routes.ts). */
export interface OAuthRequest {
  realmId: string;
  params: FormParams;
  authorization: string | undefined;
  ip: string | null;
  services: Services;
  clock: Clock;
}

const isResponse = (value: unknown): value is OAuthResponse => typeof value === 'object' && value !== null && 'status' in value && 'body' in value;

/**
 * The client behind the request, authenticated against this realm's clients; `null` when it
 * presented none and `optional` allows that (a public client at the token endpoint, RFC 6749 §6).
 */
async function authenticatedClient(request: OAuthRequest, optional: boolean): Promise<AuthenticatedClient | null | OAuthResponse> {
  const presented = presentedClient(request.authorization, request.params);
  if (isResponse(presented)) return presented;
  if (presented.kind === 'none') return optional ? null : invalidClient('client authentication required');
  const result = await request.services.clients.authenticate(request.realmId, presented.clientId, presented.secret, request.ip);
  if (result.ok) return result.client;
  if (result.retryAfter !== null) {
    return oauthError(429, 'invalid_client', 'too many failed client authentications; try again later', { 'retry-after': String(result.retryAfter) });
  }
  return invalidClient();
}

/**
 * POST <issuer>/oauth/token, grant_type=refresh_token: the `refresh` mutation's own code path
 * (TokenIssuer.refresh: rotation, grace window, reuse detection), limited to this realm.
 */
export async function tokenEndpoint(request: OAuthRequest): Promise<OAuthResponse> {
  const { params } = request;
  const grantType = params.get('grant_type');
  if (grantType === undefined) return oauthError(400, 'invalid_request', 'grant_type is required');
  if (grantType !== 'refresh_token') return oauthError(400, 'unsupported_grant_type', 'only grant_type=refresh_token is supported');
  const refreshToken = params.get('refresh_token');
  if (refreshToken === undefined) return oauthError(400, 'invalid_request', 'refresh_token is required');
  // Sessions carry no scopes: any scope asked for would exceed the grant (RFC 6749 §6).
  if (params.has('scope')) return oauthError(400, 'invalid_scope', 'this server issues no scopes');
  const client = await authenticatedClient(request, true);
  if (isResponse(client)) return client;
  try {
    const result = await request.services.issuer.refresh(refreshToken, request.ip, request.realmId);
    const expiresAt = result.accessTokenExpiresAt;
    return ok({
      access_token: result.accessToken,
      token_type: 'Bearer',
      // Rounded down: a client that trusts expires_in never holds the token past its `exp`.
      ...(expiresAt ? { expires_in: Math.max(0, Math.floor((expiresAt.getTime() - request.clock.now().getTime()) / 1000)) } : {}),
      refresh_token: result.refreshToken,
    });
  } catch (error) {
    if (error instanceof DomainError && error.code === 'INVALID_REFRESH_TOKEN') {
      return oauthError(400, 'invalid_grant', 'the refresh token is invalid, expired, or was already used');
    }
    throw error;
  }
}

/** POST <issuer>/oauth/introspect (RFC 7662): a client of this realm asks about a token of this realm. */
export async function introspectionEndpoint(request: OAuthRequest): Promise<OAuthResponse> {
  const token = request.params.get('token');
  const client = await authenticatedClient(request, false);
  if (isResponse(client)) return client;
  if (token === undefined) return oauthError(400, 'invalid_request', 'token is required');
  // token_type_hint is only a hint (RFC 7662 §2.1): both kinds are told apart by their shape.
  return ok(await request.services.tokenStatus.introspect(request.realmId, token));
}

/** POST <issuer>/oauth/revoke (RFC 7009): ends the token's session; unknown tokens answer 200 all the same. */
export async function revocationEndpoint(request: OAuthRequest): Promise<OAuthResponse> {
  const token = request.params.get('token');
  const client = await authenticatedClient(request, false);
  if (isResponse(client) || client === null) return client ?? invalidClient();
  if (token === undefined) return oauthError(400, 'invalid_request', 'token is required');
  await request.services.tokenStatus.revoke(request.realmId, token, { actor: `client:${client.id}`, ip: request.ip });
  return ok(null);
}
