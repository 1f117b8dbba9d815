import { clientIp, ipLimitKey } from './client-ip';

describe('clientIp', () => {
  it('is the remote address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientIp('203.0.113.9', '198.51.100.1', 0)).toBe('203.0.113.9');
    expect(clientIp('::ffff:203.0.113.9', undefined, 0)).toBe('203.0.113.9');
  });

  it('takes the entry the trusted proxy added, not what the client put before it', () => {
    // nginx appends the address it was called from: "<client's own header>, <real client>"
    expect(clientIp('10.0.0.2', '198.51.100.1', 1)).toBe('198.51.100.1');
    expect(clientIp('10.0.0.2', 'spoofed, 198.51.100.1', 1)).toBe('198.51.100.1');
    expect(clientIp('10.0.0.2', ['spoofed', '198.51.100.1, 10.0.0.1'], 2)).toBe('198.51.100.1');
  });

  it('falls back to the leftmost entry when there are fewer hops than trusted proxies', () => {
    expect(clientIp('10.0.0.2', '198.51.100.1', 3)).toBe('198.51.100.1');
    expect(clientIp('10.0.0.2', undefined, 1)).toBe('10.0.0.2');
  });
});

describe('ipLimitKey', () => {
  it('counts IPv4 addresses one by one and IPv6 by /64', () => {
    expect(ipLimitKey('203.0.113.9')).toBe('203.0.113.9');
    expect(ipLimitKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(ipLimitKey('2001:db8:0:1:aaaa::1')).toBe('2001:db8:0:1::/64');
    expect(ipLimitKey('2001:db8:0:1:bbbb:cccc:dddd:eeee')).toBe('2001:db8:0:1::/64');
    expect(ipLimitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(ipLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(ipLimitKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
