// The small /proc files inspect reads besides the socket list, parsed once into records:
// /proc/net/snmp and /proc/net/netstat (MIB counters under nstat's names),
// /proc/net/sockstat{,6} (totals), /proc/slabinfo (bytes per timewait socket).

/**
 * /proc/net/snmp or /proc/net/netstat: pairs of lines "Tcp: Name1 Name2 ..." then
 * "Tcp: v1 v2 ...". Keys are nstat's: the prefix and the field joined, "TcpActiveOpens",
 * "TcpExtTW". Values past 2^53 lose precision (counters that large are not read here).
 */
export function parseSnmp(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const names = (lines[i] ?? '').trim().split(/\s+/);
    const values = (lines[i + 1] ?? '').trim().split(/\s+/);
    const prefix = names[0] ?? '';
    if (!prefix.endsWith(':') || values[0] !== prefix || names.length !== values.length) continue;
    // A header line has names; its value line has numbers.
    if (!/^-?\d+$/.test(values[1] ?? '') || /^-?\d+$/.test(names[1] ?? '')) continue;
    const group = prefix.slice(0, -1);
    for (let k = 1; k < names.length; k++) {
      const v = Number(values[k]);
      if (Number.isFinite(v)) out[group + (names[k] ?? '')] = v;
    }
    i++;
  }
  return out;
}

/** /proc/net/sockstat "TCP:" line (net/ipv4/proc.c sockstat_seq_show). */
export interface Sockstat {
  /** TCP sockets in use in this namespace, IPv4 (IPv6 in sockstat6), timewait sockets excluded. */
  inuse: number;
  /** Orphaned sockets, whole host (tcp_orphan_count). */
  orphan: number;
  /** Timewait sockets in this namespace, IPv4 and IPv6 (tcp_death_row.tw_refcount - 1). */
  tw: number;
  /** Allocated TCP sockets, whole host. */
  alloc: number;
  /** Pages of TCP buffer memory, whole host (tcp_memory_allocated). */
  mem: number;
}

/** /proc/net/sockstat -> its TCP line, and TCP6 inuse from /proc/net/sockstat6. */
export function parseSockstat(sockstat: string, sockstat6?: string): (Sockstat & { inuse6: number | undefined }) | undefined {
  const field = (line: string, name: string): number | undefined => {
    const m = new RegExp(`\\b${name} (\\d+)`).exec(line);
    return m ? Number(m[1]) : undefined;
  };
  const line = sockstat.split('\n').find((l) => l.startsWith('TCP:'));
  if (line === undefined) return undefined;
  const line6 = sockstat6?.split('\n').find((l) => l.startsWith('TCP6:'));
  return {
    inuse: field(line, 'inuse') ?? 0,
    orphan: field(line, 'orphan') ?? 0,
    tw: field(line, 'tw') ?? 0,
    alloc: field(line, 'alloc') ?? 0,
    mem: field(line, 'mem') ?? 0,
    inuse6: line6 === undefined ? undefined : field(line6, 'inuse'),
  };
}

/** One /proc/slabinfo cache. */
export interface SlabCache {
  activeObjs: number;
  numObjs: number;
  objSize: number;
}

/** The caches twlab reports: timewait sockets, full TCP sockets, request sockets. */
export const SLAB_CACHES = ['tw_sock_TCP', 'tw_sock_TCPv6', 'TCP', 'TCPv6', 'request_sock_TCP', 'request_sock_TCPv6'] as const;

/** /proc/slabinfo (version 2.1: "name active_objs num_objs objsize ...") -> the caches above. */
export function parseSlabinfo(text: string): Map<string, SlabCache> {
  const out = new Map<string, SlabCache>();
  const wanted = new Set<string>(SLAB_CACHES);
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (!wanted.has(f[0] ?? '')) continue;
    const [activeObjs, numObjs, objSize] = [f[1], f[2], f[3]].map(Number) as [number, number, number];
    if ([activeObjs, numObjs, objSize].every(Number.isFinite)) out.set(f[0] as string, { activeObjs, numObjs, objSize });
  }
  return out;
}

/** "6.18.44-fc-v595" -> [6, 18]; undefined when it does not start with two numbers. */
export function kernelVersion(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}
