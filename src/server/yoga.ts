import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import { createServices, type AppDeps } from '../services.js';
import { ADMIN_KEY_REFUSED, authenticate, endedSessionFor } from '../auth/authenticate.js';
import type { Caller } from '../auth/caller.js';
import { schema } from '../graphql/schema.js';
import { maskError } from '../graphql/errors.js';
import { useLeanSubscriptions } from '../graphql/event-streams.js';
import { securityPlugins } from '../graphql/limits.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { SessionWatchers } from '../session/session-watchers.js';
import { clientIp } from './client-ip.js';
import { useJsonWithoutEcho } from './graphql-request-guard.js';
import type { TesseraMetrics } from './metrics.js';
import { noteCaller, requestFacts, useOperationNames } from './request-log.js';
import { GRAPHIQL_HEADERS, graphiqlRoute, type GraphiQLRoute } from './graphiql.js';

/** HTTP requests carry node's request; WebSocket operations the connection's params and its client address. */
export type ServerContext =
  { req: IncomingMessage; res?: ServerResponse; connectionParams?: undefined } | { connectionParams: Record<string, unknown>; ip: string | null };

export type TesseraYoga = YogaServerInstance<ServerContext, GraphQLContext>;

/** Masks an error for a client and logs the original; `message` is what an unexpected error says. */
export type ErrorMasker = (error: unknown, message: string) => Error;

/**
 * yoga over our schema: the security plugins, lean subscriptions, our CORS and error masking, and
 * the context every operation runs with — over HTTP, the fast path and WebSocket alike.
 */
export function createTesseraYoga(opts: { deps: AppDeps; metrics: TesseraMetrics; watchers: SessionWatchers; logger: Logger }): {
  yoga: TesseraYoga;
  maskAndLog: ErrorMasker;
  /** GraphiQL's assets (src/server/graphiql.ts); false for every other path, and always without GraphiQL. */
  serveGraphiQL: GraphiQLRoute['serve'];
} {
  const { config } = opts.deps;
  // GraphiQL's page and assets from our own origin; null: no GraphiQL (production).
  const graphiql = graphiqlRoute(config, opts.logger);
  const maskAndLog = errorMasker(opts.logger);
  const yoga = createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: graphiql !== null,
    ...(graphiql ? { renderGraphiQL: graphiql.render } : {}),
    landingPage: false,
    batching: false,
    logging: false, // our own logger reports unexpected errors (errorMasker)
    cors: corsFor(config.allowedOrigins),
    maskedErrors: { maskError: maskAndLog },
    plugins: [
      ...securityPlugins({ production: config.production }),
      useLeanSubscriptions(),
      useJsonWithoutEcho(),
      ...(graphiql ? [useGraphiQLHeaders()] : []),
      // Only with debug on: with it off, an operation pays for no log at all.
      ...(opts.logger.enabled('debug') ? [useOperationNames()] : []),
    ],
    context: operationContext(opts),
  });
  return { yoga, maskAndLog, serveGraphiQL: graphiql ? graphiql.serve : () => false };
}

/** GraphiQL's page (the only HTML yoga answers) gets the policy its assets have (src/server/graphiql.ts). */
function useGraphiQLHeaders(): Plugin {
  return {
    onResponse({ response }) {
      if (!response.headers.get('content-type')?.startsWith('text/html')) return;
      for (const [name, value] of Object.entries(GRAPHIQL_HEADERS)) response.headers.set(name, value);
      response.headers.set('cache-control', 'no-cache');
    },
  };
}

/**
 * What an operation runs with. From node's request (not yoga's Fetch-API one: the fast path has
 * none) or, for a WebSocket operation, from its connection. The caller is authenticated on first
 * use, once per operation.
 */
function operationContext(opts: {
  deps: AppDeps;
  metrics: TesseraMetrics;
  watchers: SessionWatchers;
  logger: Logger;
}): (serverContext: ServerContext) => GraphQLContext {
  const { deps, metrics, watchers } = opts;
  // Decided once: with debug off, an operation does not even look for its request's log line.
  const logging = opts.logger.enabled('debug');
  const { clock, events, config } = deps;
  const { publicUrl, trustProxyHops } = config;
  return (serverContext) => {
    const { ip, authorization } =
      'ip' in serverContext
        ? {
            ip: serverContext.ip,
            authorization: typeof serverContext.connectionParams.authorization === 'string' ? serverContext.connectionParams.authorization : null,
          }
        : { ip: clientIp(serverContext.req, trustProxyHops), authorization: serverContext.req.headers.authorization ?? null };
    const services = createServices(deps);
    const facts = logging && 'req' in serverContext ? requestFacts(serverContext.req) : undefined;
    let caller: Promise<Caller> | null = null;
    return {
      ip,
      services,
      clock,
      events,
      publicUrl,
      metrics,
      watchers,
      caller: () => (caller ??= noteCaller(facts, authenticate(authorization, ip, services))),
      endedSession: () => endedSessionFor(authorization, services),
    };
  };
}

/** The error behind GraphQL's wrappers (by shape: graphql may be loaded twice, CJS and ESM). */
function originalOf(error: unknown): unknown {
  let current = error;
  for (let i = 0; i < 8 && current instanceof Error && current.name === 'GraphQLError'; i++) {
    const inner = (current as GraphQLError).originalError;
    if (!inner) break;
    current = inner;
  }
  return current;
}

/**
 * Errors are masked (src/graphql/errors.ts) and logged here, where the original is still at hand
 * (a plugin looking at the result afterwards only sees the masked copies). A database that is
 * down, hung or overloaded is told apart first: SERVICE_UNAVAILABLE, not a server bug.
 */
function errorMasker(logger: Logger): ErrorMasker {
  return (error, message) => {
    const original = originalOf(error);
    const masked = maskError(error, message);
    const code = (masked as GraphQLError).extensions?.code;
    // Security events (docs/operations.md#logs): what was refused, never the credential itself.
    if (code === 'RATE_LIMITED') logger.warn('request throttled', { path: pathOf(error), error: (masked as Error).message });
    else if (code === 'UNAUTHENTICATED' && (masked as Error).message === ADMIN_KEY_REFUSED) logger.warn('admin key refused: unknown or revoked');
    else if (code === 'SERVICE_UNAVAILABLE') logger.warn('database unavailable', { error: String((original as Error)?.message ?? original) });
    else if (code === 'INTERNAL_SERVER_ERROR') logger.error('unexpected error', { error: String((original as Error)?.stack ?? original) });
    return masked;
  };
}

function pathOf(error: unknown): string | undefined {
  const path = (error as GraphQLError).path;
  return path ? path.join('.') : undefined;
}

/**
 * CORS answers only the origins of ALLOWED_ORIGINS, echoing the one that asked; any other origin
 * gets no CORS headers at all. (yoga's own handling of an origin list answers a stranger with the
 * single configured origin, or with `null` — which a sandboxed iframe or a data: URL *is*, so that
 * would grant them access.)
 */
function corsFor(allowedOrigins: string[]) {
  if (allowedOrigins.length === 0) return false as const;
  const anyOrigin = allowedOrigins.includes('*');
  const allowed = new Set(allowedOrigins.map((origin) => origin.replace(/\/$/, '')));
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || (!anyOrigin && !allowed.has(origin))) return false as const;
    // Two entries: yoga then echoes the request's origin and adds Vary: Origin. Never credentials
    // for "any origin" — that pairing would hand every site a user's cookies, if there ever were any.
    return { origin: [origin, origin], credentials: !anyOrigin, maxAge: 600 };
  };
}
