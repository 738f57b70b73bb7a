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
import { thousands } from '../report/format.js';
import { andList } from '../scenario/units.js';
import { PROFILES, TIMEWAIT_SOCK_BYTES } from '../tcp/profile.js';
import { emptyStateCounts, TCP_STATES, type StateCounts, type TcpState } from '../tcp/state.js';
import { applySysctl, defaultSysctls, formatSysctl, isReservedPort, SysctlError, sysctlScope, type KernelProfileName, type Sysctls } from '../tcp/sysctl.js';
import { MIB_NAMES } from '../tcp/mib.js';
import { endpointText, isLoopback } from './address.js';
import { INSPECTED_SYSCTLS } from './sysctl-names.js';
import type { Observation } from './observation.js';
import { kernelVersion } from './procfiles.js';
import { attributeOwners } from './socket-owners.js';
import { STATE_INDEX, type Family, type Owner, type SkippedLine, type SocketTable } from './socket.js';

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

/**
 * One listening socket's accept queue against its backlog, as `ss -ltn` shows them in Recv-Q
 * and Send-Q (socket.ts ListenQueue says where the kernel reports them).
 */
export interface ListenerQueue {
  /** "198.18.0.1:7004", "[::]:7100". */
  listener: string;
  address: string;
  port: number;
  family: Family;
  /** Connections handshaken and waiting for accept() (sk_ack_backlog). */
  queued: number;
  /** listen()'s backlog, capped at net.core.somaxconn (sk_max_ack_backlog); null when the source does not give it (/proc/net/tcp, netstat). */
  backlog: number | null;
  /**
   * queued / backlog (a backlog of 0 counts as 1), rounded to 4 digits; null without a
   * backlog. Can pass 1: the kernel takes one connection past the backlog before it drops
   * (sock.h sk_acceptq_is_full: queued > backlog).
   */
  fill: number | null;
  /** The processes holding it, when known (ss -p, netstat -p; on a live host, looked up for listeners with a queue). */
  owners: Owner[] | null;
}

/**
 * One process's CLOSE_WAIT and FIN_WAIT_2. A socket several processes hold (a parent and the
 * child it forked) counts once for each of them, so these may add up to more than the
 * sockets; owners.* counts each socket once.
 */
export interface ProcessUse {
  pid: number;
  command: string;
  /** CLOSE_WAIT sockets it holds open: accept()ed or connected, and not closed. */
  close_wait: number;
  /** CLOSE_WAIT sockets in the accept queue of a listener it holds: never accept()ed. */
  close_wait_not_accepted: number;
  fin_wait_2: number;
  /** Local ports of the CLOSE_WAIT sockets it holds open, most first (at most 5). */
  close_wait_ports: number[];
  /** Ports of its listeners whose accept queue holds CLOSE_WAIT, most first (at most 5). */
  not_accepted_ports: number[];
}

/** Who has the CLOSE_WAIT sockets. Each socket is in one of the counts: they add up to close_wait.total. */
export interface CloseWaitOwners {
  /** Held open by a process seen in /proc/PID/fd (or named by the dump). */
  held: number;
  /**
   * Inode 0 (netlink, /proc/net/tcp): no file refers to it, so it was never accept()ed and
   * waits in its listener's accept queue; attributed to the listener's process.
   */
  not_accepted: number;
  /** Of not_accepted, those whose listener's process was not found. */
  not_accepted_no_owner: number;
  /** Local (listening) ports of the not_accepted ones, most first (at most 5). */
  not_accepted_ports: number[];
  /**
   * No process seen holding it: with an inode, another user's (unprivileged) or a kernel
   * socket; in an ss -p/netstat -p dump without inodes, also one still in an accept queue.
   */
  not_visible: number;
  /** Owners were not looked up (the exporter; a dump without processes or inodes). */
  not_looked_up: number;
}

/** Who has the FIN_WAIT_2 sockets. Each socket is in one part: they add up to by_state.FIN_WAIT_2. */
export interface FinWait2Owners {
  held: number;
  /** Closed by this host, the peer has not closed: inode 0, or no process in an ss -p/netstat -p dump. */
  orphaned: number;
  not_visible: number;
  not_looked_up: number;
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
  /**
   * Only the host's initial network namespace has it (tcp_max_orphans: sysctl_net_ipv4.c
   * registers ipv4_table for init_net alone), so inside another namespace its value is null:
   * not absent from the kernel, just not visible there. It still applies, host-wide.
   */
  host_wide: boolean;
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
  sockets: {
    total: number;
    by_state: StateCounts;
    ipv4: StateCounts;
    ipv6: StateCounts;
    /** Sockets this host opened by connect() (every state but LISTEN and CLOSE): all destinations' sockets. */
    outgoing: number;
    /** Bound, not listening sockets, in no state (SocketTable.boundInactive); null when the source cannot list them. */
    bound_inactive: number | null;
  };
  sockstat: { inuse: number; inuse6: number | null; orphan: number; tw: number; alloc: number; mem_pages: number } | null;
  time_wait: StateBreakdown;
  close_wait: StateBreakdown;
  ports: { range: [number, number]; range_size: number; reserved_in_range: number; bound_in_range: number; usable: number };
  /** At most JSON_LIST_LIMIT, most ports in use first; `more.destinations` counts the rest. */
  destinations: DestinationUse[];
  /** At most JSON_LIST_LIMIT; `more.processes` counts the rest. */
  processes: ProcessUse[];
  /** Listeners whose accept queue the source reports, fullest first; at most JSON_LIST_LIMIT, `more.listeners` counts the rest. */
  listeners: ListenerQueue[];
  /** Over every listener, listed or not: connections waiting for accept(), and the fullest queue's fill (null when no backlog is known). */
  listen_queues: { listeners: number; queued: number; max_fill: number | null };
  /** Entries past JSON_LIST_LIMIT in destinations, processes and listeners. */
  more: { destinations: number; processes: number; listeners: number };
  owners: {
    /** Whether owners were looked up (live host, ss -p or netstat -p). */
    seen: boolean;
    /** Whether the sockets carry their inodes (live host, /proc/net/tcp, ss -e, netstat -e): what tells never-accepted CLOSE_WAIT and orphans apart. */
    inodes: boolean;
    /** Processes whose /proc/PID/fd could not be read; null when there was no scan. */
    unreadable_processes: number | null;
    close_wait: CloseWaitOwners;
    fin_wait_2: FinWait2Owners;
    /** fin_wait_2.orphaned. */
    orphaned_fin_wait_2: number;
    /** close_wait.not_visible + fin_wait_2.not_visible: sockets with an inode whose process could not be seen. */
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

/**
 * Defaults of this host: the memory-derived ones from its established hash size. A negative
 * tcp_ehash_entries is a namespace sharing the host's hash; a positive one is the initial
 * namespace's own (where tcp_max_orphans can be read), or a namespace with a hash of its own.
 */
function hostDefaults(profile: KernelProfileName, ehash: number | undefined, initNet: boolean): Sysctls {
  const base = defaultSysctls(profile);
  if (ehash === undefined || ehash === 0) return base;
  const slots = Math.abs(ehash);
  // tcp_ipv4.c tcp_set_hashinfo: max_tw_buckets = ehash / 2, max_syn_backlog = max(128, ehash / 128).
  const own = { ...base, tcp_max_tw_buckets: slots / 2, tcp_max_syn_backlog: Math.max(128, slots / 128) };
  // tcp.c tcp_init: tcp_max_orphans = half the host's (initial namespace's) hash.
  return ehash < 0 || initNet ? { ...own, tcp_max_orphans: slots / 2 } : own;
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
    return { name, value, default: def, differs: !assumed && value !== null && def !== null && value !== def, assumed, host_wide: isHostWide(profile, name) };
  });
}

/** Whether only the initial network namespace has the sysctl on this kernel (false for one the kernel lacks). */
function isHostWide(profile: KernelProfileName, name: string): boolean {
  try {
    return sysctlScope(profile, name) === 'host';
  } catch (e) {
    if (!(e instanceof SysctlError)) throw e;
    return false;
  }
}

function topCounts<K>(map: Map<K, number>, make: (key: K, count: number) => Count, compareKeys: (a: K, b: K) => number): [Count[], number] {
  const entries = [...map.entries()].sort((a, b) => b[1] - a[1] || compareKeys(a[0], b[0]));
  const shown = entries.slice(0, JSON_LIST_LIMIT).map(([k, c]) => make(k, c));
  return [shown, Math.max(0, entries.length - JSON_LIST_LIMIT)];
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** "3 CLOSE_WAIT and 1 FIN_WAIT_2 socket(s)", the zero parts left out: how counts of owners.* are quoted everywhere. */
export function ownerlessText(closeWait: number, finWait2: number): string {
  const parts = [...(closeWait > 0 ? [`${thousands(closeWait)} CLOSE_WAIT`] : []), ...(finWait2 > 0 ? [`${thousands(finWait2)} FIN_WAIT_2`] : [])];
  return `${andList(parts)} socket(s)`;
}

/** Where the source cannot list bound, not listening sockets (sockets.bound_inactive null). */
const BOUND_INACTIVE_NOTE =
  'bound, not listening sockets (bind() alone) are not in this socket list (netlink and ss -a list them from 6.8): their ports are not counted as held';

/** TCP_STATES indexes, as SocketTable stores states. */
const { LISTEN, CLOSE, TIME_WAIT, CLOSE_WAIT } = STATE_INDEX;

/** Counts by TCP_STATES index -> counts by name. */
function stateCounts(byIndex: Uint32Array): StateCounts {
  const c = emptyStateCounts();
  TCP_STATES.forEach((name, i) => (c[name] = byIndex[i] as number));
  return c;
}
const byNumber = (a: number, b: number): number => a - b;

/**
 * Counts for one state (TIME_WAIT or CLOSE_WAIT) gathered in the single pass over the
 * sockets, by local port and (incoming) by peer address number. Outgoing ones by
 * destination are the destinations' own counts of the state (see analyze).
 */
class StateTally {
  total = 0;
  outgoing = 0;
  /** Index: local port. */
  readonly byPort = new Uint32Array(65536);
  /** Incoming: remote address number -> count. */
  readonly byPeer = new Map<number, number>();

  add(port: number, outgoing: boolean, remoteAddress: number): void {
    this.total++;
    this.byPort[port] = (this.byPort[port] as number) + 1;
    if (outgoing) this.outgoing++;
    else this.addPeer(remoteAddress);
  }

  /** An incoming socket's remote address (add counts the rest). */
  addPeer(remoteAddress: number): void {
    this.byPeer.set(remoteAddress, (this.byPeer.get(remoteAddress) ?? 0) + 1);
  }

  /** The lists, given the outgoing counts by destination endpoint and the table's address texts. */
  breakdown(byDestination: Map<string, number>, addresses: readonly string[]): StateBreakdown {
    const [byPort, morePorts] = this.busiestPorts();
    const peers = new Map<string, number>();
    for (const [address, c] of this.byPeer) peers.set(addresses[address] as string, c);
    const [byDest, moreDests] = topCounts(
      byDestination,
      (endpoint, count) => {
        const colon = endpoint.lastIndexOf(':');
        return { endpoint, address: endpoint.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(endpoint.slice(colon + 1)), count };
      },
      byString,
    );
    const [byPeer, morePeers] = topCounts(peers, (address, count) => ({ address, count }), byString);
    return {
      total: this.total,
      outgoing: this.outgoing,
      incoming: this.total - this.outgoing,
      by_local_port: byPort,
      by_destination: byDest as EndpointCount[],
      by_peer: byPeer as PeerCount[],
      more: { by_local_port: morePorts, by_destination: moreDests, by_peer: morePeers },
    };
  }

  /**
   * The JSON_LIST_LIMIT busiest ports, most first, then by port; and how many more there
   * are. A client can hold 60 000 ports: the smallest count that makes the cut is found
   * from a histogram of the counts (most are small: a typed array; the few large ones, such
   * as a server's port, in a Map), and only the ports that make it are sorted.
   */
  private busiestPorts(): [PortCount[], number] {
    if (this.total === 0) return [[], 0];
    const small = new Uint32Array(SMALL_COUNT);
    const large = new Map<number, number>();
    const distinct = portHistogram(this.byPort, small, large);
    // Counts from the largest down, until JSON_LIST_LIMIT ports have that count or more.
    let cut = 0;
    let above = 0;
    const full = (c: number, ports: number): boolean => {
      cut = c;
      if (above + ports >= JSON_LIST_LIMIT) return true;
      above += ports;
      return false;
    };
    let done = false;
    for (const c of [...large.keys()].sort(byNumber).reverse()) if ((done = full(c, large.get(c) ?? 0))) break;
    for (let c = SMALL_COUNT - 1; c > 0 && !done; c--) if (small[c] !== 0) done = full(c, small[c] as number);
    // Every port above the cut, and the lowest-numbered ports at it until the list is full.
    const shown = portsFrom(this.byPort, cut, above, JSON_LIST_LIMIT - above);
    shown.sort((a, b) => b.count - a.count || a.port - b.port);
    return [shown, distinct - shown.length];
  }
}

/** Counts below this are kept in an array in StateTally's histogram of ports by count. */
const SMALL_COUNT = 1024;

// The loops over all 65 536 ports are small functions of their own, for the reason given at countSockets.

/** Ports by how many sockets hold them: counts below SMALL_COUNT in `small`, others in `large`. Returns how many ports have any. */
function portHistogram(byPort: Uint32Array, small: Uint32Array, large: Map<number, number>): number {
  let distinct = 0;
  for (let p = 0; p < 65536; p++) {
    const c = byPort[p] as number;
    if (c === 0) continue;
    distinct++;
    if (c < SMALL_COUNT) small[c] = (small[c] as number) + 1;
    else large.set(c, (large.get(c) ?? 0) + 1);
  }
  return distinct;
}

/**
 * The `above` ports with more than `cut` sockets, and the lowest-numbered `atCut` ports with
 * exactly `cut` (cut > 0). Stops once it has them all: a client's 60 000 ports with one
 * TIME_WAIT each end the list at the 1000th.
 */
function portsFrom(byPort: Uint32Array, cut: number, above: number, atCut: number): PortCount[] {
  const shown: PortCount[] = [];
  const want = above + atCut;
  for (let p = 0; p < 65536 && shown.length < want; p++) {
    const c = byPort[p] as number;
    if (c > cut || (c === cut && c !== 0 && atCut-- > 0)) shown.push({ port: p, count: c });
  }
  return shown;
}

/** One destination's use from one local address: its tally number's counts, once the sockets are counted. */
interface DestinationTally {
  use: DestinationUse;
  /** Sockets by TCP_STATES index. */
  byState: Uint32Array;
  /** The states it has, in the order first seen (the JSON's by_state key order). */
  seen: number[];
}

const STATE_COUNT = TCP_STATES.length;

/**
 * The destinations of outgoing sockets, per local address, by tally number in the order
 * first seen, and an open-addressing index of them by (remote address, remote port, local
 * address) numbers. countSockets probes the index and counts into the typed arrays here by
 * tally number itself; add() makes a tally; finish() puts the counts into the tallies. A
 * client's sockets to a few destinations come in the kernel's hash order, interleaved, so
 * the index is looked up for nearly every socket: a Map of arrays cost more than the rest
 * of the pass. The simulator's ConnTable (src/tcp/conntable.ts) is the same kind of table,
 * but a lookup there is a method call, and the point here is a probe the loop does inline
 * (an earlier try with ConnTable, through calls, gained nothing).
 */
class DestinationTallies {
  readonly tallies: DestinationTally[] = [];
  /** Per tally number: sockets by state (STATE_COUNT each); sockets on a port of the range; of those, not in TIME_WAIT. */
  counts: Uint32Array = new Uint32Array(64 * STATE_COUNT);
  inUse: Uint32Array = new Uint32Array(64);
  heldOpen: Uint32Array = new Uint32Array(64);
  /** Per tally number, its key: remote address number, remote port, local address number. */
  remote: Uint32Array = new Uint32Array(64);
  port: Uint32Array = new Uint32Array(64);
  local: Uint32Array = new Uint32Array(64);
  /** The index: tally number + 1 by slot, 0 for an empty slot; at most half full. */
  slots: Int32Array = new Int32Array(128);

  constructor(private readonly sockets: SocketTable) {}

  /** The first slot to probe for a key (then the next ones, wrapping). countSockets has it inline. */
  static slotOf(remote: number, port: number, local: number, mask: number): number {
    return ((remote * 31 + local) * 65537 + port * 40503) & mask;
  }

  /** A tally for row i, whose key is not in the index; `slot` is the empty slot its probe ended on. May replace every array. */
  add(i: number, slot: number): number {
    const s = this.sockets;
    const remote = s.remoteAddress[i] as number;
    const port = s.remotePort[i] as number;
    const local = s.localAddress[i] as number;
    const t = this.tallies.length;
    const use = destinationUse(s.addresses[remote] as string, port, s.addresses[local] as string, s.family[i] as Family);
    this.tallies.push({ use, byState: new Uint32Array(0), seen: [] });
    if (t === this.inUse.length) {
      const wider = (a: Uint32Array): Uint32Array => {
        const b = new Uint32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.counts = wider(this.counts);
      this.inUse = wider(this.inUse);
      this.heldOpen = wider(this.heldOpen);
      this.remote = wider(this.remote);
      this.port = wider(this.port);
      this.local = wider(this.local);
    }
    this.remote[t] = remote;
    this.port[t] = port;
    this.local[t] = local;
    if (2 * (t + 1) > this.slots.length) this.rehash(this.slots.length * 2, t + 1);
    else this.slots[slot] = t + 1;
    return t;
  }

  /** A new index of `size` slots holding the first `count` tallies. */
  private rehash(size: number, count: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let t = 0; t < count; t++) {
      let h = DestinationTallies.slotOf(this.remote[t] as number, this.port[t] as number, this.local[t] as number, mask);
      while (slots[h] !== 0) h = (h + 1) & mask;
      slots[h] = t + 1;
    }
    this.slots = slots;
  }

  /** Tally t's first socket in state st. */
  firstIn(t: number, st: number): void {
    (this.tallies[t] as DestinationTally).seen.push(st);
  }

  finish(): void {
    this.tallies.forEach((d, t) => {
      d.byState = this.counts.slice(t * STATE_COUNT, (t + 1) * STATE_COUNT);
      d.use.ports_in_use = this.inUse[t] as number;
      d.use.held_open = this.heldOpen[t] as number;
    });
  }
}

/**
 * The pass over every socket: the TIME_WAIT and CLOSE_WAIT tallies and the outgoing
 * sockets' destinations. Direction by the listening ports (a Uint8Array by port), or
 * without listeners by the range. inspect runs once, so this loop runs before V8 has
 * optimised it, for 100 000s of sockets: it is written to be quick unoptimised. A function
 * of its own (V8 optimises a small loop sooner, and the rest of analyze() cannot deoptimise
 * it); no calls on the common path (a TIME_WAIT out to a destination seen before); counts in
 * typed arrays.
 */
function countSockets(sockets: SocketTable, listening: Uint8Array | undefined, lo: number, hi: number, timeWait: StateTally, closeWait: StateTally, dests: DestinationTallies): void {
  const { state, localPort, remotePort, localAddress, remoteAddress } = sockets;
  const n = sockets.length;
  const twByPort = timeWait.byPort;
  let twTotal = 0;
  let twOutgoing = 0;
  let { counts, inUse, heldOpen, remote: keyRemote, port: keyPort, local: keyLocal, slots } = dests;
  let mask = slots.length - 1;
  for (let i = 0; i < n; i++) {
    const st = state[i] as number;
    const port = localPort[i] as number;
    const inRange = port >= lo && port <= hi;
    const outgoing = st !== LISTEN && (listening === undefined ? inRange : listening[port] === 0);
    if (st === TIME_WAIT) {
      twTotal++;
      twByPort[port] = (twByPort[port] as number) + 1;
      if (outgoing) twOutgoing++;
      else timeWait.addPeer(remoteAddress[i] as number);
    } else if (st === CLOSE_WAIT) {
      closeWait.add(port, outgoing, remoteAddress[i] as number);
    }
    if (!outgoing || st === CLOSE) continue;
    const remote = remoteAddress[i] as number;
    const rport = remotePort[i] as number;
    const local = localAddress[i] as number;
    let h = ((remote * 31 + local) * 65537 + rport * 40503) & mask; // DestinationTallies.slotOf
    let t = (slots[h] as number) - 1;
    while (t >= 0 && (keyRemote[t] !== remote || keyPort[t] !== rport || keyLocal[t] !== local)) {
      h = (h + 1) & mask;
      t = (slots[h] as number) - 1;
    }
    if (t < 0) {
      t = dests.add(i, h);
      ({ counts, inUse, heldOpen, remote: keyRemote, port: keyPort, local: keyLocal, slots } = dests);
      mask = slots.length - 1;
    }
    const c = t * STATE_COUNT + st;
    if (counts[c] === 0) dests.firstIn(t, st);
    counts[c] = (counts[c] as number) + 1;
    if (inRange) {
      inUse[t] = (inUse[t] as number) + 1;
      if (st !== TIME_WAIT) heldOpen[t] = (heldOpen[t] as number) + 1;
    }
  }
  timeWait.total += twTotal;
  timeWait.outgoing += twOutgoing;
  dests.finish();
}

/**
 * The listeners whose queues the source reports (SocketTable.listenQueues: LISTEN rows only),
 * fullest first: by fill, then by connections queued, then by port and address.
 */
export function listenerQueues(sockets: SocketTable): ListenerQueue[] {
  const list: ListenerQueue[] = [];
  for (const i of sockets.rowsIn('LISTEN')) {
    const q = sockets.listenQueues.get(i);
    if (q === undefined) continue;
    const address = sockets.addresses[sockets.localAddress[i] as number] as string;
    const port = sockets.localPort[i] as number;
    list.push({
      listener: endpointText(address, port),
      address,
      port,
      family: sockets.family[i] as Family,
      queued: q.queued,
      backlog: q.backlog,
      fill: q.backlog === null ? null : Number((q.queued / Math.max(1, q.backlog)).toFixed(4)),
      owners: sockets.owners.get(i) ?? null,
    });
  }
  return list.sort((a, b) => (b.fill ?? 0) - (a.fill ?? 0) || b.queued - a.queued || a.port - b.port || byString(a.address, b.address));
}

/** A destination's use before its sockets are counted; the JSON keeps this key order. */
function destinationUse(address: string, port: number, source: string, family: Family): DestinationUse {
  return {
    destination: endpointText(address, port),
    address,
    port,
    source,
    family,
    by_state: {},
    ports_in_use: 0,
    held_open: 0,
    usable_ports: 0,
    free_ports: 0,
    use_ratio: 0,
    recent_per_s: 0,
    sustainable_per_s: 0,
    tw_reuse_applies: false,
    sustainable_with_reuse_per_s: null,
  };
}

export function analyze(obs: Observation): Analysis {
  const notes = [...obs.notes];
  const release = obs.origin.kind === 'host' ? (obs.origin.kernelRelease ?? null) : null;
  const version = release === null ? undefined : kernelVersion(release);
  const profile = profileFor(version);
  const defaults = hostDefaults(profile, obs.ehashEntries, obs.sysctlText?.has('net.ipv4.tcp_max_orphans') === true);
  const sysctls = readSysctls(obs, profile, defaults, notes);
  const sysctlsAssumed = obs.sysctlText === undefined;
  if (sysctlsAssumed) notes.push('the dump has no sysctls: port range, tw_reuse and the rest are taken at their 6.18 defaults');
  const [lo, hi] = sysctls.ip_local_port_range;
  if (!obs.boundInactiveListed) notes.push(BOUND_INACTIVE_NOTE);
  const sockets = obs.sockets;
  const { localPort } = sockets;

  // Listening ports, and ports bind()/listen() hold in the range (for every destination).
  const listening = new Uint8Array(65536);
  const listeners = sockets.rowsIn('LISTEN');
  for (const i of listeners) listening[localPort[i] as number] = 1;
  const bound = new Set<number>();
  const boundPorts = [...[...listeners, ...sockets.rowsIn('CLOSE')].map((i) => localPort[i] as number), ...sockets.boundInactive.map((b) => b.localPort)];
  for (const port of boundPorts) if (port >= lo && port <= hi && !isReservedPort(sysctls, port)) bound.add(port);
  const v4 = stateCounts(sockets.ipv4);
  const v6 = stateCounts(sockets.ipv6);
  const byState = emptyStateCounts();
  for (const name of TCP_STATES) byState[name] = v4[name] + v6[name];

  // Direction: by the listening ports, or without any, by the range (see the top of this file).
  const byListeners = listeners.length > 0;

  // The range: reserved ports, and ports bind()/listen() hold for every destination.
  const rangeSize = hi - lo + 1;
  let reserved = 0;
  for (const [a, b] of sysctls.ip_local_reserved_ports) reserved += Math.max(0, Math.min(b, hi) - Math.max(a, lo) + 1);
  const usable = Math.max(0, rangeSize - reserved - bound.size);

  // One pass: TIME_WAIT / CLOSE_WAIT tallies and the destinations, keyed by port and address
  // numbers, so 100 000 sockets build no per-socket strings or objects.
  const reuseDelayS = sysctls.tcp_tw_reuse_delay / 1000;
  const timeWait = new StateTally();
  const closeWait = new StateTally();
  const dests = new DestinationTallies(sockets);
  countSockets(sockets, byListeners ? listening : undefined, lo, hi, timeWait, closeWait, dests);
  const { addresses } = sockets;
  const tallies = dests.tallies;
  const round = (x: number, digits = 1): number => Number(x.toFixed(digits));
  const destinations: DestinationUse[] = [];
  /** TIME_WAIT and CLOSE_WAIT by destination endpoint, over its local addresses. */
  const twByDest = new Map<string, number>();
  const cwByDest = new Map<string, number>();
  for (const { use: d, byState, seen } of tallies) {
    for (const st of seen) d.by_state[TCP_STATES[st] as TcpState] = byState[st] as number;
    if (byState[TIME_WAIT]) twByDest.set(d.destination, (twByDest.get(d.destination) ?? 0) + (byState[TIME_WAIT] as number));
    if (byState[CLOSE_WAIT]) cwByDest.set(d.destination, (cwByDest.get(d.destination) ?? 0) + (byState[CLOSE_WAIT] as number));
    d.usable_ports = usable;
    d.free_ports = Math.max(0, usable - d.ports_in_use);
    d.use_ratio = usable === 0 ? 1 : round(d.ports_in_use / usable, 4);
    d.recent_per_s = round((d.by_state.TIME_WAIT ?? 0) / TIMEWAIT_LEN_S);
    const cycling = Math.max(0, usable - d.held_open);
    d.sustainable_per_s = round(cycling / TIMEWAIT_LEN_S);
    // tcp_tw_reuse lets connect() take a TIME_WAIT's port: 1, or 2 with a loopback address, timestamps on.
    const loop = isLoopback(d.address) || isLoopback(d.source);
    d.tw_reuse_applies = sysctls.tcp_timestamps !== 0 && (sysctls.tcp_tw_reuse === 1 || (sysctls.tcp_tw_reuse === 2 && loop));
    d.sustainable_with_reuse_per_s = d.tw_reuse_applies ? round(cycling / reuseDelayS) : null;
    destinations.push(d);
  }
  destinations.sort((a, b) => b.ports_in_use - a.ports_in_use || byString(a.destination, b.destination) || byString(a.source, b.source));
  const destinationList = destinations.slice(0, JSON_LIST_LIMIT);
  let outgoing = 0;
  for (const { byState } of tallies) for (const c of byState) outgoing += c;

  // Who has the CLOSE_WAIT and FIN_WAIT_2 sockets: each socket in one class (socket-owners.ts).
  const attribution = attributeOwners(obs);
  const { closeWait: cwOwners, finWait2: fwOwners } = attribution;
  const processes = attribution.processes.slice(0, JSON_LIST_LIMIT);
  const orphaned = fwOwners.orphaned;
  const unreadable = obs.ownerScan?.unreadable ?? null;
  if (unreadable !== null && unreadable > 0 && cwOwners.not_visible + fwOwners.not_visible > 0) {
    notes.push(
      `${ownerlessText(cwOwners.not_visible, fwOwners.not_visible)} held by processes this user cannot see: ` +
        `${unreadable} processes' /proc/PID/fd are unreadable without root`,
    );
  }

  // Accept queues of the listeners (few rows: none of this is on the per-socket path).
  const allListeners = listenerQueues(sockets);
  const listenerList = allListeners.slice(0, JSON_LIST_LIMIT);
  let queuedTotal = 0;
  for (const l of allListeners) queuedTotal += l.queued;
  const maxFill = allListeners.some((l) => l.fill !== null) ? Math.max(...allListeners.map((l) => l.fill ?? 0)) : null;

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
    sockets: {
      total: sockets.length,
      by_state: byState,
      ipv4: v4,
      ipv6: v6,
      outgoing,
      bound_inactive: obs.boundInactiveListed ? sockets.boundInactive.length : null,
    },
    sockstat: st ? { inuse: st.inuse, inuse6: st.inuse6 ?? null, orphan: st.orphan, tw: st.tw, alloc: st.alloc, mem_pages: st.mem } : null,
    time_wait: timeWait.breakdown(twByDest, addresses),
    close_wait: closeWait.breakdown(cwByDest, addresses),
    ports: { range: [lo, hi], range_size: rangeSize, reserved_in_range: reserved, bound_in_range: bound.size, usable },
    destinations: destinationList,
    processes,
    listeners: listenerList,
    listen_queues: { listeners: allListeners.length, queued: queuedTotal, max_fill: maxFill },
    more: {
      destinations: destinations.length - destinationList.length,
      processes: attribution.processes.length - processes.length,
      listeners: allListeners.length - listenerList.length,
    },
    owners: {
      seen: obs.ownersSeen,
      inodes: obs.socketInodes,
      unreadable_processes: unreadable,
      close_wait: cwOwners,
      fin_wait_2: fwOwners,
      orphaned_fin_wait_2: orphaned,
      unknown: cwOwners.not_visible + fwOwners.not_visible,
    },
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
