// Serves the example on http://localhost:5173: the page, the built @tessera/client (client/dist)
// and graphql-ws's browser build. Run from the repository root: node examples/browser/serve.mjs
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const PORT = Number(process.env.PORT ?? 5173);
const roots = { '/client/': 'client/dist', '/vendor/graphql-ws/': 'node_modules/graphql-ws/dist', '/': 'examples/browser' };
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript' };

createServer(async (req, res) => {
  let path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/') path = '/index.html';
  const prefix = Object.keys(roots).find((p) => path.startsWith(p));
  const file = normalize(join(roots[prefix], path.slice(prefix.length)));
  if (!file.startsWith(normalize(roots[prefix]))) return void res.writeHead(404).end();
  try {
    const body = await readFile(file); // before writeHead: a missing file (favicon.ico) is a 404, not a crash
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
}).listen(PORT, 'localhost', () => console.log(`example on http://localhost:${PORT}`));
