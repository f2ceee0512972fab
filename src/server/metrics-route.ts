import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { sha256 } from '../auth/opaque-tokens.js';
import type { Metrics } from './metrics.js';

/**
 * GET /metrics, behind METRICS_TOKEN when it is set: `Authorization: Bearer <token>`, compared in
 * constant time (of the two SHA-256 digests, so the token's length does not leak either). A missing
 * or wrong token is 401 with a `WWW-Authenticate` challenge, as Prometheus' `authorization` expects.
 */
export function serveMetrics(registry: Metrics, token: string | null): (req: IncomingMessage, res: ServerResponse) => void {
  const expected = token === null ? null : Buffer.from(sha256(token), 'base64url');
  return (req, res) => {
    if (expected) {
      const presented = /^Bearer ([\x21-\x7e]+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!presented || !timingSafeEqual(Buffer.from(sha256(presented), 'base64url'), expected)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"' }).end('unauthorized\n');
        return;
      }
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(registry.render());
  };
}

/**
 * The listener of METRICS_ADDRESS: /metrics and nothing else (404), so a scraper's network reaches
 * no API, and the API's network no metrics.
 */
export class MetricsListener {
  private readonly server: Server;

  constructor(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly address: { host: string; port: number },
  ) {
    this.server = createServer((req, res) => {
      if (new URL(req.url ?? '/', 'http://localhost').pathname === '/metrics') handler(req, res);
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
  }

  /** Resolves to the URL of /metrics. */
  start(): Promise<string> {
    const { host, port } = this.address;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const address = this.server.address();
        const bound = typeof address === 'object' && address ? address.port : port;
        resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`);
      });
    });
  }

  /** Scrapers keep their connections alive: close them rather than wait. */
  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
