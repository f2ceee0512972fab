import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGraphQLError, type GraphQLParams, type Plugin } from 'graphql-yoga';

/**
 * What a POST /graphql must be before anything runs, on the fast path and yoga's alike.
 *
 * CSRF: a page on any site can make a browser POST a form (application/x-www-form-urlencoded,
 * multipart/form-data) or text/plain, or a body with no content type at all, without a preflight —
 * and yoga executes a form's `query=mutation{logout}`. Only the GraphQL-over-HTTP media types are
 * taken, none of which a cross-site page can send without the preflight that ALLOWED_ORIGINS
 * answers (docs/security.md#cross-site-requests, test/transport.test.ts).
 */
const GRAPHQL_MEDIA_TYPES = new Set(['application/json', 'application/graphql+json', 'application/graphql-response+json', 'application/graphql']);

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Refuses (415) a POST whose content type a browser could send cross-site without a preflight. */
export function refuseUnsafeContentType(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'POST' || GRAPHQL_MEDIA_TYPES.has(mediaTypeOf(req.headers['content-type']))) return false;
  answer(res, 415, 'Unsupported content type: POST application/json');
  return true;
}

/**
 * yoga's JSON request parser, but a body that does not parse is a 400 that says only that: yoga's
 * own answer carries the parser's message as `originalError`, which quotes the body back (a token
 * or password in it included), in production too (test/transport.test.ts).
 */
export function useJsonWithoutEcho(): Plugin {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method === 'POST' && JSON_MEDIA_TYPES.has(mediaTypeOf(request.headers.get('content-type') ?? undefined))) {
        setRequestParser(parseJsonParams);
      }
    },
  };
}
const JSON_MEDIA_TYPES = new Set(['application/json', 'application/graphql+json']);

async function parseJsonParams(request: Request): Promise<GraphQLParams> {
  let body: unknown;
  try {
    body = JSON.parse(await request.text());
  } catch {
    throw badRequest('POST body sent invalid JSON.');
  }
  if (body === null || typeof body !== 'object') throw badRequest(`POST body is expected to be object but received ${body === null ? 'null' : typeof body}`);
  return body as GraphQLParams;
}

const badRequest = (message: string) => createGraphQLError(message, { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });

function answer(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}
