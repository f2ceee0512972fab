import { TokenRejectedError, type TesseraClaims, type Verifier } from './verifier.js';

/** A Fetch `Request`, or anything with Node-style headers (Express, Fastify, node:http). */
export type RequestLike = { headers: Headers } | { headers: Record<string, string | string[] | undefined> };

export type AuthResult =
  { ok: true; claims: TesseraClaims } | { ok: false; status: 401; headers: Record<string, string>; body: { error: string; error_description: string } };

/** The bearer token of a request's Authorization header, or null. */
export function bearerToken(request: RequestLike): string | null {
  const headers = request.headers;
  const raw =
    typeof (headers as Headers).get === 'function'
      ? (headers as Headers).get('authorization')
      : (headers as Record<string, string | string[] | undefined>).authorization;
  const value = Array.isArray(raw) ? raw[0] : raw;
  const match = value ? /^Bearer +([^\s]+)\s*$/i.exec(value) : null;
  return match ? match[1] : null;
}

/**
 * Framework-neutral request authentication: the claims of a valid bearer token, or what a 401
 * needs (RFC 6750's WWW-Authenticate challenge included). `toResponse` makes a Fetch Response of a
 * failure, for runtimes that speak Fetch.
 */
export function createAuthenticator(verifier: Verifier, options: { realm?: string } = {}): (request: RequestLike) => Promise<AuthResult> {
  const realm = options.realm ?? 'tessera';
  const refuse = (error: string, description: string): AuthResult => ({
    ok: false,
    status: 401,
    headers: {
      'www-authenticate': `Bearer realm="${realm}"${error === 'invalid_request' ? '' : `, error="${error}", error_description="${description}"`}`,
      'content-type': 'application/json',
    },
    body: { error, error_description: description },
  });
  return async (request) => {
    const token = bearerToken(request);
    if (!token) return refuse('invalid_request', 'missing bearer token');
    try {
      return { ok: true, claims: await verifier.verify(token) };
    } catch (error) {
      const code = error instanceof TokenRejectedError ? error.code : 'INVALID_TOKEN';
      return refuse('invalid_token', code === 'EXPIRED' ? 'token expired' : code === 'SESSION_ENDED' ? 'session ended' : 'invalid token');
    }
  };
}

/** A failed AuthResult as a Fetch Response. */
export function toResponse(result: Extract<AuthResult, { ok: false }>): Response {
  return new Response(JSON.stringify(result.body), { status: result.status, headers: result.headers });
}
