import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The admin console (console/ at the top of the repository): plain ES modules and CSS, no build
 * step. Every file is read once, when the app is built, into a table keyed by URL: a request can
 * only ever name an entry of that table, so no part of a URL reaches the file system (no path
 * traversal, whatever the encoding).
 *
 * Assets live under /console/assets/<version>/, the version being a hash of all of them: they are
 * cached for good (a new release has new URLs), while the page itself is revalidated every time.
 * Relative imports between modules stay inside the versioned prefix by themselves.
 */

const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));
const PREFIX = '/console';
/** Written in console/index.html; each occurrence gets the version appended. */
const ASSETS_PLACEHOLDER = '/console/assets/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

function asset(body: Buffer, path: string): Asset {
  const contentType = CONTENT_TYPES[extname(path)];
  if (!contentType) throw new Error(`console: no content type for ${path}`);
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() && CONTENT_TYPES[extname(entry.name)] ? [path] : [];
  });
}

/**
 * graphql-ws's browser build (its `client` export) and the modules it imports, which sit beside it
 * under hashed names that change between releases, so they are followed rather than listed.
 */
function graphqlWsClient(): Map<string, Buffer> {
  const dist = dirname(createRequire(import.meta.url).resolve('graphql-ws'));
  const files = new Map<string, Buffer>();
  const pending = ['client.js'];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (files.has(name)) continue;
    const body = readFileSync(join(dist, name));
    files.set(name, body);
    for (const match of body.toString('utf8').matchAll(/\bfrom\s*['"]\.\/([\w.-]+\.js)['"]/g)) pending.push(match[1]);
  }
  return files;
}

function loadConsole(): { page: Buffer; assets: Map<string, Asset>; version: string } {
  const assets = new Map<string, Asset>();
  for (const file of filesUnder(join(CONSOLE_DIR, 'assets'))) {
    const path = relative(join(CONSOLE_DIR, 'assets'), file).split(sep).join('/');
    assets.set(path, asset(readFileSync(file), path));
  }
  for (const [name, body] of graphqlWsClient()) assets.set(`js/vendor/graphql-ws/${name}`, asset(body, name));
  const hash = createHash('sha256');
  for (const path of [...assets.keys()].sort()) hash.update(path).update('\0').update(assets.get(path)!.body);
  const version = hash.digest('hex').slice(0, 12);
  const page = readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8').replaceAll(ASSETS_PLACEHOLDER, `${ASSETS_PLACEHOLDER}${version}/`);
  return { page: Buffer.from(page), assets, version };
}

/** Host headers we are willing to echo into the policy (a name or address, an optional port). */
const HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * No inline script or style, nothing from another origin, no framing, no plugins, no <base>, and
 * Trusted Types so that HTML can never be built from strings. The WebSocket of the live feed is
 * named explicitly: older browsers do not count ws:/wss: of the page's own host as 'self'.
 */
function contentSecurityPolicy(host: string | undefined): string {
  const sockets = host && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

function securityHeaders(req: IncomingMessage): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(req.headers.host),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

function send(req: IncomingMessage, res: ServerResponse, file: Asset, cacheControl: string): void {
  const headers = { ...securityHeaders(req), 'content-type': file.contentType, 'cache-control': cacheControl, etag: file.etag };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': String(file.body.length) }).end(req.method === 'HEAD' ? undefined : file.body);
}

function refuse(req: IncomingMessage, res: ServerResponse, status: 404 | 405): void {
  const headers: Record<string, string> = { ...securityHeaders(req), 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };
  if (status === 405) headers.allow = 'GET, HEAD';
  res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : status === 404 ? 'Not found\n' : 'Method not allowed\n');
}

/**
 * The console's request handler: answers and returns true for the paths under /console, returns
 * false for every other path (and for all of them when the console is disabled).
 */
export function consoleRoute(options: { consoleEnabled: boolean }): (req: IncomingMessage, res: ServerResponse, pathname: string) => boolean {
  if (!options.consoleEnabled) return () => false;
  let loaded: ReturnType<typeof loadConsole>;
  try {
    loaded = loadConsole();
  } catch (error) {
    throw new Error(`The admin console cannot be served (${(error as Error).message}); restore console/ or set CONSOLE_ENABLED=false`, { cause: error });
  }
  const { assets, version } = loaded;
  const page = asset(loaded.page, 'index.html');
  const assetPrefix = `${PREFIX}/assets/${version}/`;
  return (req, res, pathname) => {
    if (pathname !== PREFIX && !pathname.startsWith(`${PREFIX}/`)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') refuse(req, res, 405);
    else if (pathname === PREFIX || pathname === `${PREFIX}/`) send(req, res, page, 'no-cache');
    else {
      const file = pathname.startsWith(assetPrefix) ? assets.get(pathname.slice(assetPrefix.length)) : undefined;
      if (file) send(req, res, file, 'public, max-age=31536000, immutable');
      else refuse(req, res, 404);
    }
    return true;
  };
}
