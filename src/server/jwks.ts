import type { ServerResponse } from 'node:http';
import type { Services } from '../services.js';

const JWKS_PATH = /^\/realms\/([A-Za-z0-9_-]{1,64})\/\.well-known\/jwks\.json$/;

export function matchJwksPath(pathname: string): string | null {
  return JWKS_PATH.exec(pathname)?.[1] ?? null;
}

export async function serveJwks(realmId: string, services: Services, res: ServerResponse): Promise<void> {
  const jwks = await services.realms.jwks(realmId);
  if (!jwks) {
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'realm not found' }));
    return;
  }
  // Relying parties cache the key set; a short max-age lets a rotation reach them quickly.
  res
    .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' })
    .end(JSON.stringify(jwks));
}
