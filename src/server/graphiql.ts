import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger.js';

/**
 * GraphiQL from our own origin, so that it works on a machine without internet (yoga's built-in
 * page loads its scripts from unpkg). yoga still decides when to show it (a browser's GET of
 * /graphql) and renders our page instead of its own; the page loads graphiql 3's browser build,
 * React 18's and our start script, all from /graphiql/assets/<version>/ — cached for good, since
 * the version is a hash of them all.
 *
 * graphiql, react and react-dom are devDependencies: GraphiQL is off in production (NODE_ENV), so
 * a production install (`npm ci --omit=dev`, the Docker image) has no use for them. Without them,
 * GraphiQL is simply off.
 */

const ASSETS_PREFIX = '/graphiql/assets/';
const START_SCRIPT = fileURLToPath(new URL('./graphiql-start.js', import.meta.url));

/** Our name for each file → [package, its path inside the package]. */
const PACKAGE_FILES: Record<string, [string, string]> = {
  'react.js': ['react', 'umd/react.production.min.js'],
  'react-dom.js': ['react-dom', 'umd/react-dom.production.min.js'],
  'graphiql.js': ['graphiql', 'dist/index.umd.js'],
  'graphiql.css': ['graphiql', 'dist/style.css'],
};

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

function asset(body: Buffer, name: string): Asset {
  const contentType = name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** Where each file is, or null when a package is not installed (a production install). */
function locateAssets(): Map<string, string> | null {
  const require = createRequire(import.meta.url);
  const paths = new Map<string, string>();
  try {
    for (const [name, [pkg, path]] of Object.entries(PACKAGE_FILES)) paths.set(name, join(dirname(require.resolve(`${pkg}/package.json`)), path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
  paths.set('start.js', START_SCRIPT);
  return paths;
}

/** The files (read on first use: about 1.5 MB that a server nobody opens GraphiQL on never holds). */
function loadAssets(paths: Map<string, string>): { assets: Map<string, Asset>; version: string } {
  const assets = new Map<string, Asset>();
  for (const [name, path] of paths) {
    // The source maps are not shipped: a browser's devtools would ask for them and get a 404.
    const body = readFileSync(path, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
    assets.set(name, asset(Buffer.from(body), name));
  }
  const hash = createHash('sha256');
  for (const name of [...assets.keys()].sort()) hash.update(name).update('\0').update(assets.get(name)!.body);
  return { assets, version: hash.digest('hex').slice(0, 12) };
}

/**
 * Scripts only from our origin (none inline: yoga's options reach the start script as JSON data).
 * Styles may be inline: GraphiQL's editors and menus set style attributes. Its fonts are data: URLs
 * inside its stylesheet.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers for the page and its assets. */
export const GRAPHIQL_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** What yoga hands its renderer (the `graphiql` option, plus yoga's defaults). */
export interface GraphiQLPageOptions {
  title?: string;
  defaultQuery?: string;
  headers?: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(version: string, options: GraphiQLPageOptions): string {
  const at = `${ASSETS_PREFIX}${version}/`;
  const title = escapeHtml(options.title ?? 'Tessera GraphiQL');
  // JSON inside <script type="application/json">: data, never run; `<` escaped so no `</script>` ends it early.
  const json = JSON.stringify({ endpoint: '/graphql', defaultQuery: options.defaultQuery, headers: options.headers }).replace(/</g, '\\u003c');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${title}</title>`,
    `<link rel="stylesheet" href="${at}graphiql.css">`,
    '</head>',
    '<body style="margin:0">',
    `<div id="graphiql" style="height:100vh">Loading ${title}…</div>`,
    `<script type="application/json" id="graphiql-options">${json}</script>`,
    `<script src="${at}react.js"></script>`,
    `<script src="${at}react-dom.js"></script>`,
    `<script src="${at}graphiql.js"></script>`,
    `<script src="${at}start.js"></script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export interface GraphiQLRoute {
  /** yoga's `renderGraphiQL`: our page, pointing at our own assets. */
  render(options?: GraphiQLPageOptions): string;
  /** Answers and returns true for /graphiql/assets/…; false for every other path. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean;
}

/** GraphiQL's page and assets; null when it is off (production) or its packages are not installed. */
export function graphiqlRoute(config: { production: boolean }, logger: Logger): GraphiQLRoute | null {
  if (config.production) return null;
  const paths = locateAssets();
  if (!paths) {
    logger.warn('GraphiQL is off: graphiql, react and react-dom are not installed (a production install: npm ci --omit=dev)');
    return null;
  }
  let loaded: ReturnType<typeof loadAssets> | undefined;
  const files = () => (loaded ??= loadAssets(paths));
  return {
    render: (pageOptions) => page(files().version, pageOptions ?? {}),
    serve(req, res, pathname) {
      if (!pathname.startsWith(ASSETS_PREFIX)) return false;
      const { assets, version } = files();
      const prefix = `${ASSETS_PREFIX}${version}/`;
      const file = pathname.startsWith(prefix) ? assets.get(pathname.slice(prefix.length)) : undefined;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { ...GRAPHIQL_HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      } else if (!file) {
        res.writeHead(404, { ...GRAPHIQL_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('Not found\n');
      } else {
        const headers = { ...GRAPHIQL_HEADERS, 'content-type': file.contentType, 'cache-control': 'public, max-age=31536000, immutable', etag: file.etag };
        if (req.headers['if-none-match'] === file.etag) res.writeHead(304, headers).end();
        else res.writeHead(200, { ...headers, 'content-length': String(file.body.length) }).end(req.method === 'HEAD' ? undefined : file.body);
      }
      return true;
    },
  };
}
