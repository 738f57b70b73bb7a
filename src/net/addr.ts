// IPv4 addresses as unsigned 32-bit integers inside the model; dotted quads at the edges.

export type Ipv4 = number;

const QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parse a dotted quad; null when it is not one. */
export function parseIpv4(text: string): Ipv4 | null {
  const m = QUAD.exec(text);
  if (m === null) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith('0')) return null; // no octal-looking parts
    const n = Number(part);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v;
}

export function formatIpv4(a: Ipv4): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** 127.0.0.0/8: what tcp_tw_reuse=2 calls loopback. */
export function isLoopback(a: Ipv4): boolean {
  return a >>> 24 === 127;
}

/** A key for (address, port), exact in a double: address * 65536 + port < 2^48. */
export function endpointKey(addr: Ipv4, port: number): number {
  return addr * 65536 + port;
}

export function formatEndpoint(addr: Ipv4, port: number): string {
  return `${formatIpv4(addr)}:${port}`;
}
