/**
 * What an outbound POST (webhook, back-channel logout) may be sent to: a guard against server-side
 * request forgery, i.e. an admin or a relying party pointing Tessera at the cloud metadata service,
 * a database on loopback or anything else on the private network. The rules are in
 * docs/webhooks.md#target-urls; test/webhook-target.test.ts is their table.
 *
 * Address spellings (decimal 2130706433, octal 0177.0.0.1, hex 0x7f.1, short 127.1, percent-encoded,
 * full-width digits, [::ffff:127.0.0.1]) are not parsed here: the WHATWG URL parser already turns
 * every one of them into the canonical dotted quad or compressed IPv6 form, and only that form is
 * classified, with node:net BlockList.
 */
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';

export type TargetRules = { allowPrivate: boolean; allowHttp: boolean };

export class TargetRefused extends Error {
  constructor(readonly reason: string) {
    super(`target refused: ${reason}`);
    this.name = 'TargetRefused';
  }
}

/** All the addresses a host name resolves to (A and AAAA); injectable so that tests can change DNS. */
export type LookupAll = (host: string) => Promise<{ address: string; family: number }[]>;

const defaultLookup: LookupAll = (host) => dnsLookup(host, { all: true, verbatim: true });

/** IPv4 ranges that are not the public internet (RFC 6890 special-purpose registry, roughly). */
const V4_REFUSED: readonly (readonly [string, number, string])[] = [
  ['0.0.0.0', 8, 'this-network address'],
  ['10.0.0.0', 8, 'private address'],
  ['100.64.0.0', 10, 'shared (CGNAT) address'],
  ['127.0.0.0', 8, 'loopback address'],
  ['169.254.0.0', 16, 'link-local address'], // includes 169.254.169.254, the cloud metadata service
  ['172.16.0.0', 12, 'private address'],
  ['192.0.0.0', 24, 'IETF protocol address'],
  ['192.0.2.0', 24, 'documentation address'],
  ['192.88.99.0', 24, '6to4 relay address'],
  ['192.168.0.0', 16, 'private address'],
  ['198.18.0.0', 15, 'benchmarking address'],
  ['198.51.100.0', 24, 'documentation address'],
  ['203.0.113.0', 24, 'documentation address'],
  ['224.0.0.0', 4, 'multicast address'],
  ['240.0.0.0', 4, 'reserved address'], // includes 255.255.255.255, broadcast
];

const V6_REFUSED: readonly (readonly [string, number, string])[] = [
  ['::1', 128, 'loopback address'],
  ['::', 128, 'unspecified address'],
  ['64:ff9b:1::', 48, 'local-use NAT64 address'],
  ['100::', 64, 'discard address'],
  ['2001::', 32, 'Teredo address'], // the client's IPv4 address is hidden in it: refused outright
  ['2001:db8::', 32, 'documentation address'],
  ['fc00::', 7, 'private (unique local) address'],
  ['fe80::', 10, 'link-local address'],
  ['fec0::', 10, 'site-local address'],
  ['ff00::', 8, 'multicast address'],
];

/** IPv6 prefixes that carry an IPv4 address: such an address is refused when its IPv4 one is. */
const V4_IN_V6: readonly (readonly [name: string, bits: number, embed: (high: string, low: string) => string])[] = [
  ['IPv4-mapped', 96, (high, low) => `::ffff:${high}:${low}`],
  ['IPv4-compatible', 96, (high, low) => `::${high}:${low}`], // also :: and ::1
  ['NAT64', 96, (high, low) => `64:ff9b::${high}:${low}`],
  ['6to4', 16, (high, low) => `2002:${high}:${low}::`],
];

function hexGroups(v4: string): [string, string] {
  const [a, b, c, d] = v4.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

function subnet(net: string, bits: number): BlockList {
  const list = new BlockList();
  list.addSubnet(net, bits, isIP(net) === 6 ? 'ipv6' : 'ipv4');
  return list;
}

/** One list per rule (a few dozen), so that a refusal can say which rule refused. */
const REFUSED: { list: BlockList; reason: string }[] = [
  ...V6_REFUSED.map(([net, bits, reason]) => ({ list: subnet(net, bits), reason })),
  ...V4_REFUSED.flatMap(([net, bits, reason]) => [
    { list: subnet(net, bits), reason },
    ...V4_IN_V6.map(([name, prefixBits, embed]) => ({ list: subnet(embed(...hexGroups(net)), prefixBits + bits), reason: `${name} ${reason}` })),
  ]),
];

/** Host names that name the machine itself or a cloud's metadata service without needing DNS to say so. */
const REFUSED_NAMES = new Set([
  'localhost',
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.com',
  'instance-data',
  'instance-data.ec2.internal',
]);
const REFUSED_SUFFIXES = ['.localhost', '.internal', '.local', '.home.arpa'];

/** Why this address (canonical form) is refused, or null when it is a public one. */
export function refusedAddressReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  return REFUSED.find(({ list }) => list.check(address, type))?.reason ?? null;
}

function checkAddress(address: string, rules: TargetRules): void {
  if (rules.allowPrivate) return;
  const reason = refusedAddressReason(address);
  if (reason) throw new TargetRefused(`${reason} ${address}`);
}

/** The host without IPv6 brackets or a trailing dot (metadata.google.internal. is the same name). */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/** Syntax, scheme, credentials, literal address and refused names; no DNS. Throws TargetRefused. */
export function checkTargetUrl(url: string, rules: TargetRules): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TargetRefused('not an absolute URL');
  }
  const allowed = rules.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(parsed.protocol)) throw new TargetRefused(`scheme ${parsed.protocol} not allowed`);
  if (parsed.username || parsed.password) throw new TargetRefused('credentials in the URL');
  const host = bareHost(parsed);
  if (host === '') throw new TargetRefused('no host');
  if (isIP(host)) checkAddress(host, rules);
  else if (!rules.allowPrivate && (REFUSED_NAMES.has(host) || REFUSED_SUFFIXES.some((suffix) => host.endsWith(suffix)))) {
    throw new TargetRefused(`internal host name ${host}`);
  }
  return parsed;
}

/**
 * Resolves the host (every A and AAAA record) and refuses it if ANY address is refused: a name with
 * one public and one private record could otherwise be steered to the private one. Returns the
 * address to connect to, so that the connection goes exactly where the check looked.
 */
export async function resolveTarget(url: URL, rules: TargetRules, lookup: LookupAll = defaultLookup): Promise<{ address: string; family: 4 | 6 }> {
  const host = bareHost(url);
  const family = isIP(host);
  const addresses = family ? [{ address: host, family }] : await lookup(host);
  if (addresses.length === 0) throw new TargetRefused(`${host} does not resolve`);
  for (const entry of addresses) checkAddress(entry.address, rules);
  return { address: addresses[0].address, family: isIP(addresses[0].address) === 6 ? 6 : 4 };
}
