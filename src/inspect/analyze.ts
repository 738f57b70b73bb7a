// Observation -> Inspection: the figures `twlab inspect` prints and `--json` emits. Pure: the
// same observation always gives the same document (findings and advice come from advice.ts).
//
// Direction. A socket whose local port has a LISTEN socket was accepted (incoming); any other
// was opened by connect() here (outgoing) and holds a port of ip_local_port_range towards
// its destination. A dump without listeners falls back to "the local port is in the range".
//
// Port arithmetic per destination (inet_hashtables.c __inet_hash_connect): connect() takes a
// port of ip_local_port_range, skipping ip_local_reserved_ports and ports held by bind() or
// listen(); a port is busy for a destination while any socket, TIME_WAIT included, holds that
// 4-tuple. So the ports left for a destination are the usable ones minus those in use to it,
// and with this host closing first each connection keeps its port for TCP_TIMEWAIT_LEN after
// close: the sustainable rate is (usable ports - ports held open) / 60 s, or / tw_reuse_delay
// when tcp_tw_reuse lets connect() take a TIME_WAIT's port (tcp_ipv4.c tcp_twsk_unique).

import { SEC } from '../engine/time.js';
import { PROFILES, TIMEWAIT_SOCK_BYTES } from '../tcp/profile.js';
import { emptyStateCounts, type StateCounts } from '../tcp/state.js';
import { applySysctl, defaultSysctls, formatSysctl, isReservedPort, SysctlError, type KernelProfileName, type Sysctls } from '../tcp/sysctl.js';
import { MIB_NAMES } from '../tcp/mib.js';
import { endpointText, isLoopback } from './address.js';
import { INSPECTED_SYSCTLS } from './sysctl-names.js';
import type { Observation } from './observation.js';
import { kernelVersion } from './procfiles.js';
import type { Family, SkippedLine, SocketRecord } from './socket.js';

/** include/net/tcp.h TCP_TIMEWAIT_LEN, in seconds. */
export const TIMEWAIT_LEN_S = PROFILES['linux-6.18'].timewaitLen / SEC;

/** Longest list the JSON document carries per table (the rest is counted in `more`). */
export const JSON_LIST_LIMIT = 1000;

export interface Count {
  count: number;
}
export interface PortCount extends Count {
  port: number;
}
export interface EndpointCount extends Count {
  /** "198.18.0.2:80", "[::1]:7002". */
  endpoint: string;
  address: string;
  port: number;
}
export interface PeerCount extends Count {
  address: string;
}

/** TIME_WAIT or CLOSE_WAIT broken down. */
export interface StateBreakdown {
  total: number;
  /** Sockets this host opened (connect) / accepted. */
  outgoing: number;
  incoming: number;
  /** All sockets by local port, most first. */
  by_local_port: PortCount[];
  /** Outgoing sockets by remote endpoint (the destination), most first. */
  by_destination: EndpointCount[];
  /** Incoming sockets by remote address (the client host), most first. */
  by_peer: PeerCount[];
  /** Entries past JSON_LIST_LIMIT, per list. */
  more: { by_local_port: number; by_destination: number; by_peer: number };
}

/** Ephemeral-port use towards one destination from one local address. */
export interface DestinationUse {
  destination: string;
  address: string;
  port: number;
  source: string;
  family: Family;
  /** Sockets to it, by state (only states present). */
  by_state: Partial<StateCounts>;
  /** Its sockets holding a port of the range (others were bound to a fixed port). */
  ports_in_use: number;
  /** Sockets in any state but TIME_WAIT holding a port of the range. */
  held_open: number;
  /** Range size less reserved ports and ports held by bind()/listen() in the range. */
  usable_ports: number;
  /** usable_ports - ports_in_use: connects that can succeed right now. */
  free_ports: number;
  /** ports_in_use / usable_ports, 0..1. */
  use_ratio: number;
  /** TIME_WAIT / 60 s: about the rate of new connections over the last minute. */
  recent_per_s: number;
  /** (usable_ports - held_open) / 60 s. */
  sustainable_per_s: number;
  /** Whether tcp_tw_reuse lets connect() reuse these TIME_WAIT ports (1, or 2 to loopback; timestamps on). */
  tw_reuse_applies: boolean;
  /** (usable_ports - held_open) / tw_reuse_delay, when tw_reuse applies. */
  sustainable_with_reuse_per_s: number | null;
}

export interface ProcessUse {
  pid: number;
  command: string;
  close_wait: number;
  fin_wait_2: number;
  /** Local ports of its CLOSE_WAIT sockets, most first (at most 5). */
  close_wait_ports: number[];
}

export interface SysctlRow {
  name: string;
  /** As /proc/sys prints it (tabs as spaces); null when the file is absent or not read. */
  value: string | null;
  /** The kernel's default; for tcp_tw_recycle, null (it is gone). */
  default: string | null;
  differs: boolean;
  /** True when the value is not from this host (a dump): the default is assumed. */
  assumed: boolean;
}

export interface Memory {
  /** Timewait sockets: TIME_WAIT plus orphaned FIN_WAIT_2 (the kernel's tw_sock objects). */
  timewait_sockets: number;
  /** Bytes per timewait socket: tw_sock_TCP objsize from /proc/slabinfo, or 256 assumed. */
  bytes_per_timewait: number;
  bytes_per_timewait_from: 'slabinfo' | 'assumed';
  timewait_bytes: number;
  /** Whole-host slab use of the TCP caches (slabinfo is not per namespace): name -> bytes. */
  slab_bytes: Record<string, number> | null;
  /** Pages of TCP buffer memory, whole host (/proc/net/sockstat mem). */
  tcp_buffer_pages: number | null;
}

export interface Inspection {
  twlab_inspect: 1;
  taken_at: string;
  source: {
    kind: 'host' | 'file';
    path: string | null;
    format: string | null;
    sockets_from: string;
    skipped_lines: number;
    skipped_examples: SkippedLine[];
  };
  kernel: { release: string | null; tw_recycle_exists: boolean | null; tw_reuse_delay_exists: boolean | null };
  sockets: { total: number; by_state: StateCounts; ipv4: StateCounts; ipv6: StateCounts };
  sockstat: { inuse: number; inuse6: number | null; orphan: number; tw: number; alloc: number; mem_pages: number } | null;
  time_wait: StateBreakdown;
  close_wait: StateBreakdown;
  ports: { range: [number, number]; range_size: number; reserved_in_range: number; bound_in_range: number; usable: number };
  destinations: DestinationUse[];
  processes: ProcessUse[];
  owners: {
    /** Whether owners were looked up (live host, ss -p or netstat -p). */
    seen: boolean;
    orphaned_fin_wait_2: number;
    /** CLOSE_WAIT/FIN_WAIT_2 sockets with an inode whose process could not be seen. */
    unknown: number;
  };
  memory: Memory;
  sysctls: SysctlRow[];
  /** MIB counters twlab names (src/tcp/mib.ts), as read; null for a dump. */
  counters: Record<string, number> | null;
  findings: Finding[];
  advice: Advice[];
  notes: string[];
}

export type Severity = 'critical' | 'warning' | 'info';

export interface Finding {
  id: string;
  severity: Severity;
  /** One sentence: what is the case. */
  summary: string;
  /** Why it matters, on this kernel. */
  detail: string;
}

export interface Advice {
  id: string;
  /** What to do, one line. */
  action: string;
  /** Why, tied to what was seen and to this kernel. */
  reason: string;
  /** Commands that apply it (or, for a code change, that show where). */
  commands: string[];
}

/** What advice.ts needs besides the document: typed sysctls and kernel facts. */
export interface Analysis {
  inspection: Inspection;
  sysctls: Sysctls;
  /** The sysctls are defaults, not read from the host. */
  sysctlsAssumed: boolean;
  kernel: [number, number] | undefined;
  /** The sysctl rules the values were read with: linux-4.4 before 4.12, else linux-6.18. */
  profile: KernelProfileName;
}

// ---------------------------------------------------------------------------------------

/** The kernel profile whose sysctl rules fit a release: tcp_tw_recycle went in 4.12. */
function profileFor(version: [number, number] | undefined): KernelProfileName {
  if (version && (version[0] < 4 || (version[0] === 4 && version[1] < 12))) return 'linux-4.4';
  return 'linux-6.18';
}

/** Defaults of this host: the memory-derived ones from its established hash size. */
function hostDefaults(profile: KernelProfileName, ehash: number | undefined): Sysctls {
  const base = defaultSysctls(profile);
  if (ehash === undefined || ehash === 0) return base;
  const slots = Math.abs(ehash);
  // tcp_ipv4.c tcp_set_hashinfo: max_tw_buckets = ehash / 2, max_syn_backlog = max(128, ehash / 128).
  return { ...base, tcp_max_tw_buckets: slots / 2, tcp_max_syn_backlog: Math.max(128, slots / 128) };
}

function readSysctls(obs: Observation, profile: KernelProfileName, defaults: Sysctls, notes: string[]): Sysctls {
  let s = defaults;
  for (const [name, text] of obs.sysctlText ?? []) {
    if (name === 'net.ipv4.tcp_tw_recycle' && profile !== 'linux-4.4') continue;
    try {
      s = applySysctl(profile, s, name, text);
    } catch (e) {
      if (!(e instanceof SysctlError)) throw e;
      notes.push(`${name} = "${text}" could not be read (${e.problem}); its default is used`);
    }
  }
  return s;
}

function sysctlRows(obs: Observation, profile: KernelProfileName, defaults: Sysctls): SysctlRow[] {
  const assumed = obs.sysctlText === undefined;
  return INSPECTED_SYSCTLS.map((name) => {
    const gone = name === 'net.ipv4.tcp_tw_recycle' && profile !== 'linux-4.4';
    const def = gone ? null : formatSysctl(defaults, name).replace(/\t/g, ' ');
    const read = obs.sysctlText?.get(name)?.replace(/\s+/g, ' ');
    const value = assumed ? def : (read ?? null);
    return { name, value, default: def, differs: !assumed && value !== null && def !== null && value !== def, assumed };
  });
}

function topCounts<K>(map: Map<K, number>, make: (key: K, count: number) => Count, compareKeys: (a: K, b: K) => number): [Count[], number] {
  const entries = [...map.entries()].sort((a, b) => b[1] - a[1] || compareKeys(a[0], b[0]));
  const shown = entries.slice(0, JSON_LIST_LIMIT).map(([k, c]) => make(k, c));
  return [shown, Math.max(0, entries.length - JSON_LIST_LIMIT)];
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byNumber = (a: number, b: number): number => a - b;

/** Counts for one state (TIME_WAIT or CLOSE_WAIT) gathered in the single pass over the sockets. */
class StateTally {
  total = 0;
  outgoing = 0;
  /** Index: local port. */
  readonly byPort = new Uint32Array(65536);
  /** Outgoing: remote address -> remote port -> count. */
  readonly byDest = new Map<string, Map<number, number>>();
  /** Incoming: remote address -> count. */
  readonly byPeer = new Map<string, number>();

  add(s: SocketRecord, outgoing: boolean): void {
    this.total++;
    this.byPort[s.localPort] = (this.byPort[s.localPort] ?? 0) + 1;
    if (outgoing) {
      this.outgoing++;
      let ports = this.byDest.get(s.remoteAddress);
      if (ports === undefined) this.byDest.set(s.remoteAddress, (ports = new Map()));
      ports.set(s.remotePort, (ports.get(s.remotePort) ?? 0) + 1);
    } else {
      this.byPeer.set(s.remoteAddress, (this.byPeer.get(s.remoteAddress) ?? 0) + 1);
    }
  }

  breakdown(): StateBreakdown {
    // Only the JSON_LIST_LIMIT busiest ports are listed: find the smallest count that makes
    // the cut (a histogram of counts), so a client with 60 000 ports sorts 1000, not 60 000.
    const histogram = new Map<number, number>();
    let distinct = 0;
    for (let p = 0; p < 65536; p++) {
      const c = this.byPort[p] ?? 0;
      if (c === 0) continue;
      distinct++;
      histogram.set(c, (histogram.get(c) ?? 0) + 1);
    }
    let cut = 0;
    let kept = 0;
    for (const c of [...histogram.keys()].sort(byNumber).reverse()) {
      cut = c;
      kept += histogram.get(c) ?? 0;
      if (kept >= JSON_LIST_LIMIT) break;
    }
    const ports = new Map<number, number>();
    for (let p = 0; p < 65536; p++) {
      const c = this.byPort[p] ?? 0;
      if (c !== 0 && c >= cut) ports.set(p, c);
    }
    const dests = new Map<string, number>();
    for (const [address, perPort] of this.byDest) for (const [port, c] of perPort) dests.set(endpointText(address, port), c);
    const [byPort] = topCounts(ports, (port, count) => ({ port, count }), byNumber);
    const morePorts = distinct - byPort.length;
    const [byDest, moreDests] = topCounts(
      dests,
      (endpoint, count) => {
        const colon = endpoint.lastIndexOf(':');
        return { endpoint, address: endpoint.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(endpoint.slice(colon + 1)), count };
      },
      byString,
    );
    const [byPeer, morePeers] = topCounts(this.byPeer, (address, count) => ({ address, count }), byString);
    return {
      total: this.total,
      outgoing: this.outgoing,
      incoming: this.total - this.outgoing,
      by_local_port: byPort as PortCount[],
      by_destination: byDest as EndpointCount[],
      by_peer: byPeer as PeerCount[],
      more: { by_local_port: morePorts, by_destination: moreDests, by_peer: morePeers },
    };
  }
}

export function analyze(obs: Observation): Analysis {
  const notes = [...obs.notes];
  const release = obs.origin.kind === 'host' ? (obs.origin.kernelRelease ?? null) : null;
  const version = release === null ? undefined : kernelVersion(release);
  const profile = profileFor(version);
  const defaults = hostDefaults(profile, obs.ehashEntries);
  const sysctls = readSysctls(obs, profile, defaults, notes);
  const sysctlsAssumed = obs.sysctlText === undefined;
  if (sysctlsAssumed) notes.push('the dump has no sysctls: port range, tw_reuse and the rest are taken at their 6.18 defaults');
  const [lo, hi] = sysctls.ip_local_port_range;
  const sockets = obs.sockets;

  // States, listening ports, and ports bind()/listen() hold in the range (for every destination).
  const byState = emptyStateCounts();
  const v4 = emptyStateCounts();
  const v6 = emptyStateCounts();
  const listening = new Set<number>();
  const bound = new Set<number>();
  const inRange = (port: number): boolean => port >= lo && port <= hi;
  for (const s of sockets) {
    byState[s.state]++;
    (s.family === 4 ? v4 : v6)[s.state]++;
    if (s.state === 'LISTEN') listening.add(s.localPort);
    if ((s.state === 'LISTEN' || s.state === 'CLOSE') && inRange(s.localPort) && !isReservedPort(sysctls, s.localPort)) bound.add(s.localPort);
  }

  // Direction.
  const isOutgoing =
    listening.size > 0
      ? (s: SocketRecord): boolean => s.state !== 'LISTEN' && !listening.has(s.localPort)
      : (s: SocketRecord): boolean => s.state !== 'LISTEN' && inRange(s.localPort);

  // The range: reserved ports, and ports bind()/listen() hold for every destination.
  const rangeSize = hi - lo + 1;
  let reserved = 0;
  for (const [a, b] of sysctls.ip_local_reserved_ports) reserved += Math.max(0, Math.min(b, hi) - Math.max(a, lo) + 1);
  const usable = Math.max(0, rangeSize - reserved - bound.size);

  // One pass: TIME_WAIT / CLOSE_WAIT tallies and the destinations (nested maps keyed by the
  // parsers' shared address strings, so 100 000 sockets build no per-socket strings).
  const reuseDelayS = sysctls.tcp_tw_reuse_delay / 1000;
  const timeWait = new StateTally();
  const closeWait = new StateTally();
  const destIndex = new Map<string, Map<number, Map<string, DestinationUse>>>();
  const destinations: DestinationUse[] = [];
  for (const s of sockets) {
    const outgoing = isOutgoing(s);
    if (s.state === 'TIME_WAIT') timeWait.add(s, outgoing);
    else if (s.state === 'CLOSE_WAIT') closeWait.add(s, outgoing);
    if (!outgoing || s.state === 'CLOSE') continue;
    let perPort = destIndex.get(s.remoteAddress);
    if (perPort === undefined) destIndex.set(s.remoteAddress, (perPort = new Map()));
    let perSource = perPort.get(s.remotePort);
    if (perSource === undefined) perPort.set(s.remotePort, (perSource = new Map()));
    let d = perSource.get(s.localAddress);
    if (d === undefined) {
      const loop = isLoopback(s.remoteAddress) || isLoopback(s.localAddress);
      const reuse = sysctls.tcp_timestamps !== 0 && (sysctls.tcp_tw_reuse === 1 || (sysctls.tcp_tw_reuse === 2 && loop));
      d = {
        destination: endpointText(s.remoteAddress, s.remotePort),
        address: s.remoteAddress,
        port: s.remotePort,
        source: s.localAddress,
        family: s.family,
        by_state: {},
        ports_in_use: 0,
        held_open: 0,
        usable_ports: usable,
        free_ports: 0,
        use_ratio: 0,
        recent_per_s: 0,
        sustainable_per_s: 0,
        tw_reuse_applies: reuse,
        sustainable_with_reuse_per_s: null,
      };
      perSource.set(s.localAddress, d);
      destinations.push(d);
    }
    d.by_state[s.state] = (d.by_state[s.state] ?? 0) + 1;
    if (inRange(s.localPort)) {
      d.ports_in_use++;
      if (s.state !== 'TIME_WAIT') d.held_open++;
    }
  }
  const round = (x: number, digits = 1): number => Number(x.toFixed(digits));
  for (const d of destinations) {
    d.free_ports = Math.max(0, usable - d.ports_in_use);
    d.use_ratio = usable === 0 ? 1 : round(d.ports_in_use / usable, 4);
    d.recent_per_s = round((d.by_state.TIME_WAIT ?? 0) / TIMEWAIT_LEN_S);
    const cycling = Math.max(0, usable - d.held_open);
    d.sustainable_per_s = round(cycling / TIMEWAIT_LEN_S);
    d.sustainable_with_reuse_per_s = d.tw_reuse_applies ? round(cycling / reuseDelayS) : null;
  }
  const destinationList = destinations
    .sort((a, b) => b.ports_in_use - a.ports_in_use || byString(a.destination, b.destination) || byString(a.source, b.source))
    .slice(0, JSON_LIST_LIMIT);

  // Processes holding CLOSE_WAIT / FIN_WAIT_2.
  const procs = new Map<number, ProcessUse & { ports: Map<number, number> }>();
  let orphaned = 0;
  let unknown = 0;
  for (const s of sockets) {
    if (s.state !== 'CLOSE_WAIT' && s.state !== 'FIN_WAIT_2') continue;
    const owners = s.owners ?? [];
    if (owners.length === 0) {
      if (!obs.ownersSeen) continue;
      // No file refers to an orphan (close() was called): inode 0, or no process in a -p dump.
      // A CLOSE_WAIT with no owner is another user's, or still in a listener's accept queue.
      if (s.state === 'FIN_WAIT_2' && (obs.origin.kind === 'file' || s.inode === 0)) orphaned++;
      else unknown++;
      continue;
    }
    for (const o of owners) {
      let p = procs.get(o.pid);
      if (p === undefined) {
        p = { pid: o.pid, command: o.command, close_wait: 0, fin_wait_2: 0, close_wait_ports: [], ports: new Map() };
        procs.set(o.pid, p);
      }
      if (s.state === 'CLOSE_WAIT') {
        p.close_wait++;
        p.ports.set(s.localPort, (p.ports.get(s.localPort) ?? 0) + 1);
      } else {
        p.fin_wait_2++;
      }
    }
  }
  const processes: ProcessUse[] = [...procs.values()]
    .sort((a, b) => b.close_wait - a.close_wait || b.fin_wait_2 - a.fin_wait_2 || a.pid - b.pid)
    .slice(0, JSON_LIST_LIMIT)
    .map(({ ports, ...p }) => ({
      ...p,
      close_wait_ports: [...ports.entries()]
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .slice(0, 5)
        .map(([port]) => port),
    }));

  // Memory.
  const timewaitSockets = byState.TIME_WAIT + orphaned;
  const slabSize = obs.slab?.get('tw_sock_TCP')?.objSize;
  const perTw = slabSize ?? TIMEWAIT_SOCK_BYTES;
  const slabBytes: Record<string, number> | null = obs.slab ? {} : null;
  if (obs.slab && slabBytes) for (const [name, c] of obs.slab) slabBytes[name] = c.activeObjs * c.objSize;

  // Counters with twlab's names that this host has.
  let counters: Record<string, number> | null = null;
  if (obs.counters) {
    counters = {};
    for (const name of MIB_NAMES) {
      const v = obs.counters[name];
      if (v !== undefined) counters[name] = v;
    }
  }

  const st = obs.sockstat;
  const twRecycleExists = obs.sysctlText === undefined ? null : obs.sysctlText.has('net.ipv4.tcp_tw_recycle');
  const twReuseDelayExists = obs.sysctlText === undefined ? null : obs.sysctlText.has('net.ipv4.tcp_tw_reuse_delay');

  const inspection: Inspection = {
    twlab_inspect: 1,
    taken_at: new Date(obs.takenAtMs).toISOString(),
    source: {
      kind: obs.origin.kind,
      path: obs.origin.kind === 'file' ? obs.origin.path : null,
      format: obs.origin.kind === 'file' ? obs.origin.format : null,
      sockets_from: obs.socketSource,
      skipped_lines: obs.skipped,
      skipped_examples: obs.skippedExamples,
    },
    kernel: { release, tw_recycle_exists: twRecycleExists, tw_reuse_delay_exists: twReuseDelayExists },
    sockets: { total: sockets.length, by_state: byState, ipv4: v4, ipv6: v6 },
    sockstat: st ? { inuse: st.inuse, inuse6: st.inuse6 ?? null, orphan: st.orphan, tw: st.tw, alloc: st.alloc, mem_pages: st.mem } : null,
    time_wait: timeWait.breakdown(),
    close_wait: closeWait.breakdown(),
    ports: { range: [lo, hi], range_size: rangeSize, reserved_in_range: reserved, bound_in_range: bound.size, usable },
    destinations: destinationList,
    processes,
    owners: { seen: obs.ownersSeen, orphaned_fin_wait_2: orphaned, unknown },
    memory: {
      timewait_sockets: timewaitSockets,
      bytes_per_timewait: perTw,
      bytes_per_timewait_from: slabSize === undefined ? 'assumed' : 'slabinfo',
      timewait_bytes: timewaitSockets * perTw,
      slab_bytes: slabBytes,
      tcp_buffer_pages: st ? st.mem : null,
    },
    sysctls: sysctlRows(obs, profile, defaults),
    counters,
    findings: [],
    advice: [],
    notes,
  };
  return { inspection, sysctls, sysctlsAssumed, kernel: version, profile };
}
