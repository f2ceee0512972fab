import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import type { AppDeps } from '../services.js';
import { createServices } from '../services.js';
import type { Logger } from '../logger.js';
import type { TesseraMetrics } from './metrics.js';
import { clientIp } from './client-ip.js';
import { MAX_REQUEST_BYTES, readBody } from './http-routes.js';
import { parseForm } from '../oauth/form.js';
import { introspectionEndpoint, revocationEndpoint, tokenEndpoint, type OAuthRequest } from '../oauth/endpoints.js';
import { oauthError, type OAuthResponse } from '../oauth/oauth-response.js';
import { openidConfiguration } from '../oauth/discovery.js';

const REALM_PATH = /^\/realms\/([A-Za-z0-9_-]{1,64})\/(\.well-known\/openid-configuration|oauth\/(?:token|introspect|revoke))$/;

const ENDPOINTS: Record<string, (request: OAuthRequest) => Promise<OAuthResponse>> = {
  'oauth/token': tokenEndpoint,
  'oauth/introspect': introspectionEndpoint,
  'oauth/revoke': revocationEndpoint,
};

/** Back-channel logout tokens are delivered by src/delivery/deliveries.ts (docs/oauth.md#back-channel-logout). */
const BACKCHANNEL_LOGOUT = true;

/**
 * The HTTP side of the OAuth endpoints: paths, methods, the body (form bodies ≤ 64 KiB, as every
 * request), and writing the answer. What each endpoint does is src/oauth/endpoints.ts.
 */
export function oauthRoutes(deps: AppDeps, metrics: TesseraMetrics, logger: Logger) {
  const { config } = deps;
  return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> => {
    const match = REALM_PATH.exec(pathname);
    if (!match) return false;
    const [, realmId, endpoint] = match;
    try {
      if (endpoint === '.well-known/openid-configuration') await serveMetadata(req, res, deps, realmId);
      else await serveEndpoint(req, res, { deps, config, metrics, realmId, endpoint });
    } catch (error) {
      logger.error('oauth request failed', { endpoint, error: String(error) });
      if (!res.headersSent) write(res, oauthError(503, 'temporarily_unavailable', 'try again later'));
    }
    return true;
  };
}

async function serveMetadata(req: IncomingMessage, res: ServerResponse, deps: AppDeps, realmId: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end('{"error":"method not allowed"}');
    return;
  }
  if (!(await createServices(deps).realms.exists(realmId))) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"realm not found"}');
    return;
  }
  const body = JSON.stringify(openidConfiguration(deps.config.publicUrl, realmId, { backchannelLogout: BACKCHANNEL_LOGOUT }));
  // Public metadata, like the JWKS: cacheable briefly, and readable from any origin.
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function serveEndpoint(
  req: IncomingMessage,
  res: ServerResponse,
  route: { deps: AppDeps; config: Config; metrics: TesseraMetrics; realmId: string; endpoint: string },
): Promise<void> {
  if (req.method !== 'POST') {
    write(res, oauthError(405, 'invalid_request', 'use POST', { allow: 'POST' }));
    return;
  }
  if (Number(req.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) return refuseTooLarge(req, res);
  const body = await readBody(req, MAX_REQUEST_BYTES);
  if (body === 'aborted') return;
  if (body === 'too-large') return refuseTooLarge(req, res);
  const params = parseForm(req.headers['content-type'], body);
  if (!(params instanceof Map)) return write(res, params);
  const { deps, realmId, endpoint } = route;
  const request: OAuthRequest = {
    realmId,
    params,
    authorization: req.headers.authorization,
    ip: clientIp(req, route.config.trustProxyHops),
    services: createServices(deps),
    clock: deps.clock,
  };
  const response = await ENDPOINTS[endpoint](request);
  if (endpoint === 'oauth/token' && response.status !== 401 && response.status !== 429) {
    route.metrics.refreshes({ result: response.status === 200 ? 'success' : 'failure' });
  }
  write(res, response);
}

function write(res: ServerResponse, response: OAuthResponse): void {
  const headers = response.body === null ? response.headers : { 'content-type': 'application/json', ...response.headers };
  res.writeHead(response.status, headers).end(response.body === null ? undefined : JSON.stringify(response.body));
}

function refuseTooLarge(req: IncomingMessage, res: ServerResponse): void {
  // Close the connection: the rest of an oversized body is not worth reading to keep it alive.
  res.once('finish', () => req.destroy());
  write(res, oauthError(413, 'invalid_request', `the body must be at most ${MAX_REQUEST_BYTES} bytes`, { connection: 'close' }));
}
