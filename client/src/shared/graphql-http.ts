/** A GraphQL error from Tessera, with its stable `extensions.code` (INVALID_CREDENTIALS, RATE_LIMITED…). */
export class TesseraError extends Error {
  readonly code: string;
  readonly extensions: Record<string, unknown>;
  constructor(message: string, code: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TesseraError';
    this.code = code;
    this.extensions = extensions;
  }
}

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** `https://auth.example.com` or `…/graphql` → the GraphQL endpoint over HTTP and over WebSocket. */
export function endpointsOf(url: string): { http: string; ws: string } {
  const base = url.replace(/\/+$/, '');
  const http = base.endsWith('/graphql') ? base : `${base}/graphql`;
  return { http, ws: http.replace(/^http/, 'ws') };
}

/**
 * POST one operation. A network failure rejects with fetch's own error (a TypeError), a GraphQL
 * error with a TesseraError carrying the first error's code: callers tell the two apart to decide
 * whether to retry (the network) or give up (the session has ended).
 */
export async function postGraphQL<T>(
  endpoint: string,
  query: string,
  variables: Record<string, unknown>,
  credential?: string | null,
  fetchImpl: typeof fetch = fetch,
): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credential) headers.authorization = `Bearer ${credential}`;
  const response = await fetchImpl(endpoint, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  let answer: GraphQLAnswer<T>;
  try {
    answer = (await response.json()) as GraphQLAnswer<T>;
  } catch {
    throw new TesseraError(`Tessera answered ${response.status} without a GraphQL body`, response.status >= 500 ? 'SERVICE_UNAVAILABLE' : 'BAD_RESPONSE');
  }
  const error = answer.errors?.[0];
  if (error) {
    const code = typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR';
    throw new TesseraError(error.message, code, error.extensions);
  }
  if (!answer.data) throw new TesseraError('Tessera answered without data', 'BAD_RESPONSE');
  return answer.data;
}

/** The claims of a JWT, decoded without verification (the browser only reads `exp`, `sid`, `sub`). */
export function decodeClaims(token: string): Record<string, unknown> | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return claims !== null && typeof claims === 'object' ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
