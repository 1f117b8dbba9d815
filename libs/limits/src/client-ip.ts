import { isIPv6 } from 'node:net';

/**
 * The client's address: the connection's own, or with `trustedProxies` > 0 the X-Forwarded-For
 * entry that many hops from the right (each proxy appends the address it was called from, so
 * entries further left are whatever the client chose to send).
 */
export function clientIp(
  remoteAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: number,
): string {
  const remote = remoteAddress ?? 'unknown';
  if (trustedProxies === 0 || forwardedFor === undefined) return normalizeIp(remote);
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  hops.push(remote);
  return normalizeIp(hops[Math.max(0, hops.length - 1 - trustedProxies)]);
}

/**
 * What a per-address limit counts: an IPv4 address, or the /64 network of an IPv6 one (a single
 * subscriber usually holds a whole /64, so counting single addresses would count nothing).
 */
export function ipLimitKey(ip: string): string {
  const address = normalizeIp(ip);
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** `::ffff:1.2.3.4` (IPv4 seen through an IPv6 socket) → `1.2.3.4`. */
function normalizeIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1] : ip.toLowerCase();
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded. */
function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const zeros = Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => group.replace(/^0+(?=.)/, ''));
}
