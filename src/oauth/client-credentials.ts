import { invalidClient, oauthError, type OAuthResponse } from './oauth-response.js';
import type { FormParams } from './form.js';

/** The client credentials a request presents: none (a public client), or an id and a secret. */
export type PresentedClient =
  { kind: 'none' } | { kind: 'credentials'; clientId: string; secret: string; method: 'client_secret_basic' | 'client_secret_post' };

/**
 * client_secret_basic (RFC 6749 §2.3.1: id and secret each form-urlencoded, then Basic) or
 * client_secret_post (client_id and client_secret in the body) — one of them, never both (§2.3).
 * A client_id without a secret is a client that must authenticate and did not.
 */
export function presentedClient(authorization: string | undefined, params: FormParams): PresentedClient | OAuthResponse {
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  if (authorization !== undefined) {
    const basic = parseBasic(authorization);
    if (!basic) return invalidClient('the Authorization header must be Basic client credentials');
    if (bodySecret !== undefined) return oauthError(400, 'invalid_request', 'use one client authentication method, not two');
    if (bodyId !== undefined && bodyId !== basic.clientId) return oauthError(400, 'invalid_request', 'client_id differs from the Authorization header');
    return { kind: 'credentials', ...basic, method: 'client_secret_basic' };
  }
  if (bodyId === undefined && bodySecret === undefined) return { kind: 'none' };
  if (bodyId === undefined) return oauthError(400, 'invalid_request', 'client_secret without client_id');
  if (bodySecret === undefined) return invalidClient('this client must authenticate');
  return { kind: 'credentials', clientId: bodyId, secret: bodySecret, method: 'client_secret_post' };
}

function parseBasic(header: string): { clientId: string; secret: string } | null {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  return clientId && secret ? { clientId, secret } : null;
}

/** application/x-www-form-urlencoded decoding of one value; null when it is not valid. */
function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
