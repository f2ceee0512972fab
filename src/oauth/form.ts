import { oauthError, type OAuthResponse } from './oauth-response.js';

export type FormParams = Map<string, string>;

/**
 * The parameters of an OAuth request body. RFC 6749 §3.2: the body is form-urlencoded (any other
 * content type is invalid_request), a parameter sent twice is invalid_request (which of the two
 * would count is exactly what an attacker would like to choose), and one sent without a value is
 * as if omitted (§3.1).
 */
export function parseForm(contentType: string | undefined, body: Buffer): FormParams | OAuthResponse {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') {
    return oauthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  }
  const text = body.toString('utf8');
  // A body that is not UTF-8 would be decoded to replacement characters: refuse it instead.
  if (!Buffer.from(text, 'utf8').equals(body)) return oauthError(400, 'invalid_request', 'the body must be UTF-8');
  const params: FormParams = new Map();
  for (const [name, value] of new URLSearchParams(text)) {
    if (params.has(name)) return oauthError(400, 'invalid_request', `parameter ${printable(name)} given more than once`);
    params.set(name, value);
  }
  for (const [name, value] of params) if (value === '') params.delete(name);
  return params;
}

/** A parameter name as it may appear in an error description: short and printable. */
export function printable(name: string): string {
  return JSON.stringify(name.slice(0, 40).replace(/[^\x20-\x7e]/g, '?'));
}
