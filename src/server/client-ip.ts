import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/**
 * An address as proxies write it, reduced to the bare IP, or null when it is not one. Some proxies
 * (Azure Application Gateway, IIS ARR) append the client's source port — "203.0.113.7:51234",
 * "[2001:db8::1]:443" — which would make every connection a new address and every per-IP limit
 * moot; IPv4-mapped IPv6 ("::ffff:203.0.113.7") is the IPv4 address.
 */
export function normalizeIp(raw: string): string | null {
  let value = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed) value = bracketed[1];
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  const zone = value.indexOf('%'); // fe80::1%eth0: the zone is local to the proxy's host
  if (zone > 0) value = value.slice(0, zone);
  if (/^::ffff:\d{1,3}(?:\.\d{1,3}){3}$/i.test(value)) value = value.slice(7);
  const version = isIP(value);
  if (version === 0) return null;
  return version === 6 ? value.toLowerCase() : value;
}

/**
 * The client's address. X-Forwarded-For is honoured only with TRUST_PROXY, and then only the
 * entry our own trusted proxy appended (counting `hops` from the right): entries further left are
 * whatever the client chose to send, so trusting them would let anyone pick their IP (and dodge
 * per-IP throttling). An entry that is not an address (a misconfigured proxy) is ignored in favour
 * of the socket address: shared throttling is safer than an attacker-chosen one.
 */
export function clientIp(req: Pick<IncomingMessage, 'headers' | 'socket'> | undefined, trustProxyHops: number): string | null {
  if (!req) return null;
  const direct = req.socket?.remoteAddress ? normalizeIp(req.socket.remoteAddress) : null;
  if (trustProxyHops > 0) {
    const header = req.headers['x-forwarded-for'];
    const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    const candidate = chain.length >= trustProxyHops ? chain[chain.length - trustProxyHops] : undefined;
    const ip = candidate && candidate.length <= 64 ? normalizeIp(candidate) : null;
    if (ip) return ip;
  }
  return direct;
}
