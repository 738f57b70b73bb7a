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

/** One IPv4 byte as inet_ntop prints it: 0-255, no leading zero. */
const IPV4_BYTE = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${IPV4_BYTE}(?:\\.${IPV4_BYTE}){3}$`);
const IPV6_WORD = /^[0-9a-fA-F]{1,4}$/;

/** Whether the text is an IPv4 address ("a.b.c.d", each 0-255); used to tell the families of a dump apart. */
export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/**
 * Whether the text is an IPv6 address (RFC 4291 2.2): eight 16-bit words in hex, or fewer
 * with one "::" standing for the zero words left out, the last two words perhaps as dotted
 * IPv4. Every way inet_ntop writes one, and nothing that no address has.
 */
export function isIpv6(text: string): boolean {
  const gap = text.indexOf('::');
  if (gap >= 0 && text.indexOf('::', gap + 1) >= 0) return false;
  const halves = gap >= 0 ? [text.slice(0, gap), text.slice(gap + 2)] : [text];
  let words = 0;
  for (const [h, half] of halves.entries()) {
    if (half === '') continue;
    const parts = half.split(':');
    for (const [i, part] of parts.entries()) {
      const last = h === halves.length - 1 && i === parts.length - 1;
      if (last && part.includes('.')) {
        if (!isIpv4(part)) return false;
        words += 2;
      } else if (IPV6_WORD.test(part)) {
        words += 1;
      } else {
        return false;
      }
    }
  }
  return gap >= 0 ? words <= 7 : words === 8;
}

/** Loopback: 127.0.0.0/8, ::1 and ::ffff:127.x (tcp_tw_reuse=2 reuses only these). */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/** "198.18.0.2:80", "[::1]:80": an endpoint as ss prints it. */
export function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
