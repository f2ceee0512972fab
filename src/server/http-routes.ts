import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import type { ReadinessProbe } from './readiness.js';
import type { TesseraMetrics } from './metrics.js';
import { matchJwksPath } from './jwks.js';
import { refuseUnsafeContentType } from './graphql-request-guard.js';
import { logRequest } from './request-log.js';

/** GraphQL requests are small; anything larger is refused before parsing. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export interface HttpRoutes {
  readiness: ReadinessProbe;
  metrics: TesseraMetrics;
  logger: Logger;
  /** Answers /metrics; null when it is served on a listener of its own (METRICS_ADDRESS). */
  serveMetrics: ((req: IncomingMessage, res: ServerResponse) => void) | null;
  /** Answers GET /realms/<id>/.well-known/jwks.json. */
  serveJwks(realmId: string, res: ServerResponse): Promise<void>;
  /** Answers a /graphql request whose body it can take as it is; false hands it to yoga. */
  fastPath(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<boolean>;
  /** GraphiQL's assets under /graphiql/assets/ (false: not one of their paths, or GraphiQL is off). */
  serveGraphiQL(req: IncomingMessage, res: ServerResponse, pathname: string): boolean;
  /** The OAuth / OpenID endpoints under /realms/<id>/ (false: not one of their paths). */
  serveOAuth(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean>;
  /** The admin console's files under /console (false: not a console path, or the console is off). */
  serveConsole(req: IncomingMessage, res: ServerResponse, pathname: string): boolean;
  /** yoga: everything else (GraphiQL, SSE, CORS, browsers, errors worded by yoga). */
  yoga(req: IncomingMessage, res: ServerResponse): Promise<void> | void;
}

/**
 * node:http's request listener: the probes and /metrics first (never behind a body or a
 * database), then the body limit, the JWKS, and GraphQL — the fast path, else yoga. One async
 * function, not a chain of them: each would be one more promise on every request.
 */
export function createRequestListener(routes: HttpRoutes): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { readiness, metrics, logger } = routes;
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // The path only: a query string may carry what must never be logged.
    const facts = logRequest(logger, req, res, url.pathname);
    // Shutting down: answer, then close the connection, so a client's next request opens a new
    // one — which the load balancer sends elsewhere once /ready has failed (shutdown.ts).
    if (readiness.draining) res.setHeader('connection', 'close');
    try {
      if (url.pathname === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      if (url.pathname === '/ready') {
        const ok = await readiness.ready();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ready' : 'unavailable' }));
        return;
      }
      if (url.pathname === '/metrics' && routes.serveMetrics) {
        routes.serveMetrics(req, res);
        return;
      }
      if (routes.serveConsole(req, res, url.pathname)) return;
      if (routes.serveGraphiQL(req, res, url.pathname)) return;
      // Before the generic body limit: these endpoints answer in their RFCs' words, even then.
      if (await routes.serveOAuth(req, res, url.pathname)) return;
      if (Number(req.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) {
        refuseTooLarge(req, res);
        return;
      }
      const jwksRealm = matchJwksPath(url.pathname);
      if (jwksRealm && req.method === 'GET') {
        await routes.serveJwks(jwksRealm, res);
        return;
      }
      // A request with a body has it read (within the limit) first: the fast path takes a whole body.
      if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS') {
        if (url.pathname === '/graphql' && refuseUnsafeContentType(req, res)) return;
        const body = await readBody(req, MAX_REQUEST_BYTES);
        if (body === 'aborted') return;
        if (body === 'too-large') {
          refuseTooLarge(req, res);
          return;
        }
        if (url.pathname === '/graphql' && (await routes.fastPath(req, res, body))) {
          metrics.graphqlRequests({ handler: 'fast-path' });
          if (facts) facts.handler = 'fast-path';
          return;
        }
        replayBody(req, body);
      }
      if (url.pathname === '/graphql') {
        metrics.graphqlRequests({ handler: 'yoga' });
        if (facts) facts.handler = 'yoga';
      }
      await routes.yoga(req, res);
    } catch (error) {
      logger.error('request failed', { error: String(error) });
      if (!res.headersSent) res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
    }
  };
}

/**
 * The body of a request, read up to `limit` bytes: 'too-large' as soon as it passes the limit
 * (whatever Content-Length said, or without one — a chunked body is only measured by reading it),
 * 'aborted' when the client went away first.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: Buffer | 'too-large' | 'aborted') => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        settle('too-large');
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => settle(Buffer.concat(chunks, size)));
    req.once('error', () => settle('aborted'));
    req.once('close', () => settle(req.complete ? Buffer.concat(chunks, size) : 'aborted'));
  });
}

/**
 * Hands an already-read body to yoga: the node adapter takes a request's `body` property, when
 * present, instead of reading the (now drained) stream. An async iterable rather than the Buffer
 * itself, because the adapter enumerates the keys of a `body` object (one per byte of a Buffer).
 */
function replayBody(req: IncomingMessage, body: Buffer): void {
  (req as IncomingMessage & { body?: unknown }).body = {
    byteLength: body.length,
    async *[Symbol.asyncIterator]() {
      yield body;
    },
  };
}

function refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
  // Close the connection: the rest of an oversized body is not worth reading to keep it alive.
  res.once('finish', () => req.destroy());
  res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end('{"error":"request body too large"}');
}
