// Addresses printed the way ss and netstat print them (glibc inet_ntop), so a socket read
// from /proc/net/tcp6 and the same socket in a saved `ss -tan` compare equal.

/** "198.18.0.1" from the four bytes, most significant first. */
export function ipv4Text(a: number, b: number, c: number, d: number): string {
  return `${a}.${b}.${c}.${d}`;
}

/**
 * Eight 16-bit words -> RFC 5952 text as glibc inet_ntop6 writes it: lower-case hex, the
 * longest run of two or more zero words as "::" (the first such run on a tie), and the
 * last 32 bits as dotted IPv4 for v4-mapped (::ffff:a.b.c.d) and v4-compatible (::a.b.c.d,
 * but not :: or ::1) addresses.
 */
export function ipv6Text(words: readonly number[]): string {
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;

  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i > 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      const hi = words[6] ?? 0;
      const lo = words[7] ?? 0;
      return out + ipv4Text(hi >> 8, hi & 0xff, lo >> 8, lo & 0xff);
    }
    out += (words[i] ?? 0).toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** Whether the text is an IPv4 address ("a.b.c.d"); used to tell the families of a dump apart. */
export function isIpv4(text: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(text);
}

/** Loopback: 127.0.0.0/8, ::1 and ::ffff:127.x (tcp_tw_reuse=2 reuses only these). */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/** "198.18.0.2:80", "[::1]:80": an endpoint as ss prints it. */
export function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
