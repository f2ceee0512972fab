import type { IncomingMessage } from 'node:http';

/**
 * Which pages may open a WebSocket (docs/security.md#cross-site-requests). A browser always sends
 * `Origin` with an upgrade, and its page cannot change it; servers, CLIs and native apps send none
 * and are let through, to authenticate at connection_init like everyone else. A page is accepted
 * when it is Tessera's own — the origin of PUBLIC_URL, or the host the upgrade was sent to (the
 * console opened at http://127.0.0.1:4000 while PUBLIC_URL says localhost) — or when
 * ALLOWED_ORIGINS names it (`*`: any page). Every other page is refused with 403 before the 101.
 *
 * Same-host pages are accepted for the reason a browser lets them call /graphql without CORS: they
 * are this server's own. No credential rides along on its own (there are no cookies), so the check
 * keeps foreign pages from using a socket, not from reading one they could not authenticate.
 */
export function webSocketOriginPolicy(opts: { allowedOrigins: string[]; publicUrl: string }): (origin: string | undefined, req: IncomingMessage) => boolean {
  // ALLOWED_ORIGINS may be written with a trailing slash; a browser's Origin header never has one.
  const allowed = new Set(opts.allowedOrigins.map((origin) => origin.replace(/\/+$/, '')));
  const anyOrigin = allowed.has('*');
  const own = new URL(opts.publicUrl).origin;
  return (origin, req) => {
    if (origin === undefined || anyOrigin) return true;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return false; // `null` (sandboxed frames, file: pages) and anything malformed
    }
    if (parsed.origin === own || allowed.has(parsed.origin)) return true;
    const host = req.headers.host?.toLowerCase();
    return host !== undefined && (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.host === host;
  };
}
