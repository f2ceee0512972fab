// The GraphQL client of the console: one POST per operation to the server that served the page.
// The admin key travels only in the Authorization header, never in a URL.

export class ApiError extends Error {
  constructor(message, { code = 'UNKNOWN', field = null, retryAfter = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

function fromGraphQL(error) {
  const { code, field, retryAfter } = error.extensions ?? {};
  return new ApiError(error.message, { code: code ?? 'UNKNOWN', field: field ?? null, retryAfter: retryAfter ?? null });
}

/** What went wrong, in words an admin can act on. */
export function describeError(error) {
  if (!(error instanceof ApiError)) return `Something went wrong in the console: ${error?.message ?? error}`;
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return 'This admin key is not accepted: it is wrong, revoked, or not an admin key. Sign in again with a valid key.';
    case 'FORBIDDEN':
      return `This admin key is not allowed to do that (${error.message}).`;
    case 'NOT_FOUND':
      return `${error.message}: it does not exist, or it is outside this admin key's realm.`;
    case 'BAD_USER_INPUT':
      return error.message;
    case 'RATE_LIMITED':
      return `Too many attempts. Try again in ${error.retryAfter ?? 'a few'} seconds.`;
    case 'SERVICE_UNAVAILABLE':
      return 'The server cannot reach its database right now. Try again in a moment.';
    case 'NETWORK':
    case 'HTTP':
    case 'CONSOLE': // the console's own words
      return error.message;
    default:
      return "The server hit an unexpected error. Try again; if it keeps happening, the server's log has the details.";
  }
}

/** onUnauthenticated: called when the key stops working (revoked meanwhile), before the error is thrown. */
export function createApi(key, { onUnauthenticated = () => {} } = {}) {
  async function request(query, variables = {}) {
    let response;
    try {
      response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('Cannot reach the Tessera server. Check the connection and try again.', { code: 'NETWORK' });
    }
    let body;
    try {
      body = await response.json();
    } catch {
      throw new ApiError(`The server answered ${response.status} ${response.statusText} instead of a GraphQL result.`, { code: 'HTTP' });
    }
    if (body.errors?.length) {
      const error = fromGraphQL(body.errors[0]);
      if (error.code === 'UNAUTHENTICATED') onUnauthenticated(error);
      throw error;
    }
    return body.data;
  }
  return { key, request };
}
