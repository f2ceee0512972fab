import type { IncomingMessage } from 'node:http';

/**
 * The client's address. X-Forwarded-For is honoured only with TRUST_PROXY, and then only the
 * entry our own trusted proxy appended (counting `hops` from the right): entries further left are
 * whatever the client chose to send, so trusting them would let anyone pick their IP (and dodge
 * per-IP throttling).
 */
export function clientIp(req: Pick<IncomingMessage, 'headers' | 'socket'> | undefined, trustProxyHops: number): string | null {
  if (!req) return null;
  const direct = req.socket?.remoteAddress ?? null;
  if (trustProxyHops > 0) {
    const header = req.headers['x-forwarded-for'];
    const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    const candidate = chain[chain.length - trustProxyHops];
    if (candidate && candidate.length <= 45) return candidate;
  }
  return direct?.startsWith('::ffff:') ? direct.slice(7) : direct;
}
