// Placeholder with the interface of the ssrf branch's module (which replaces this file on merge).
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

export type TargetRules = { allowPrivate: boolean; allowHttp: boolean };

export class TargetRefused extends Error {
  constructor(readonly reason: string) {
    super(`target refused: ${reason}`);
    this.name = 'TargetRefused';
  }
}

const refused = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  refused.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['::ffff:0:0', 96],
] as const)
  refused.addSubnet(net, bits, 'ipv6');

function checkAddress(address: string, rules: TargetRules): void {
  if (rules.allowPrivate) return;
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (refused.check(address, family)) throw new TargetRefused(`private address ${address}`);
}

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
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) checkAddress(host, rules);
  return parsed;
}

export async function resolveTarget(url: URL, rules: TargetRules): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) as 4 | 6 }] : await lookup(host, { all: true });
  if (addresses.length === 0) throw new TargetRefused(`${host} does not resolve`);
  for (const entry of addresses) checkAddress(entry.address, rules);
  return { address: addresses[0].address, family: addresses[0].family as 4 | 6 };
}
