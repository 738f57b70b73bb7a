// The edge where inspect reads the live host (style.md 1: only the CLI, lab and inspect touch
// the world). The sockets come from netlink sock_diag (netlink.ts), or /proc/net/tcp{,6}
// when netlink cannot be used or is not wanted; everything else from /proc. Both are as
// seen by this process, so run inside a network namespace (`ip netns exec NS twlab
// inspect`) it sees that namespace's sockets, counters and sysctls. Whatever cannot be read
// becomes a note, never an error: inspect works unprivileged.

import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { Observation } from './observation.js';
import { INSPECTED_SYSCTLS } from './sysctl-names.js';
import { NETLINK_SOURCE, readNetlinkSockets } from './netlink.js';
import { scanOwners } from './owners.js';
import { parseProcTcp } from './proc-tcp.js';
import { kernelVersion, parseSlabinfo, parseSnmp, parseSockstat } from './procfiles.js';
import { listenersOfNotAccepted } from './socket-owners.js';
import { SocketTable, type Parsed } from './socket.js';

/** Where the live socket list comes from: netlink sock_diag (as ss), or /proc/net/tcp{,6}. */
export const SOCKET_SOURCES = ['netlink', 'proc'] as const;
export type SocketSource = (typeof SOCKET_SOURCES)[number];

export interface ReadHostOptions {
  /** Where procfs is mounted. The sockets still come from netlink unless `sockets` is 'proc'. */
  procRoot?: string;
  /** 'netlink' (the default) reads /proc when netlink cannot be used, and says why in a note. */
  sockets?: SocketSource;
  /** Look up the processes holding CLOSE_WAIT and FIN_WAIT_2 sockets (default true). */
  owners?: boolean;
  /** Wall clock, ms since the epoch. */
  now: () => number;
}

/** First read size for the socket tables: a busy host prints megabytes. */
const FIRST_READ = 1 << 20;

/** Reads a whole file in large reads; procfs files report size 0, so stat() cannot size it. */
export function readWhole(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(FIRST_READ);
    let used = 0;
    for (;;) {
      if (used === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, used);
        buf = bigger;
      }
      const n = readSync(fd, buf, used, buf.length - used, null);
      if (n === 0) break;
      used += n;
    }
    return buf.subarray(0, used);
  } finally {
    closeSync(fd);
  }
}

export function readHost(options: ReadHostOptions): Observation {
  const proc = options.procRoot ?? '/proc';
  const notes: string[] = [];
  const takenAtMs = options.now();
  const text = (rel: string): string | undefined => {
    try {
      return readFileSync(join(proc, rel), 'utf8');
    } catch {
      return undefined;
    }
  };

  // Totals first: they size the socket table (about; it grows as needed).
  const sockstatText = text('net/sockstat');
  const sockstat = sockstatText === undefined ? undefined : parseSockstat(sockstatText, text('net/sockstat6'));
  if (sockstat === undefined) notes.push('could not read /proc/net/sockstat');
  const expected = sockstat === undefined ? undefined : Math.ceil((sockstat.inuse + sockstat.tw + (sockstat.inuse6 ?? 0)) * 1.1) + 1024;

  // Sockets: netlink sock_diag, else /proc/net/tcp and tcp6 (docs/inspect.md: netlink is faster).
  let list: Parsed & { from: string };
  const netlink = options.sockets === 'proc' ? undefined : readNetlinkSockets(expected === undefined ? {} : { expected });
  if (netlink !== undefined && !('failed' in netlink)) {
    list = { ...netlink, from: NETLINK_SOURCE };
  } else {
    if (netlink !== undefined) notes.push(`${NETLINK_SOURCE} could not be used (${netlink.failed}): sockets read from /proc/net/tcp{,6}`);
    list = readProcSockets(proc, notes);
  }
  const { sockets } = list;

  // Owners from /proc/PID/fd: of CLOSE_WAIT and FIN_WAIT_2, of the listeners whose accept
  // queue holds a CLOSE_WAIT (it has no inode of its own: socket-owners.ts), and of the
  // listeners with any connection waiting for accept() (whose accept loop is behind; idle
  // listeners are left out, so that they alone never cost a scan of every process's
  // descriptors). What could not be seen is counted and worded by analyze.ts, once.
  let ownersSeen = false;
  let ownerScan: { unreadable: number } | undefined;
  if (options.owners ?? true) {
    const queued = sockets.rowsIn('LISTEN').filter((i) => (sockets.listenQueues.get(i)?.queued ?? 0) > 0);
    const rows = [...new Set([...sockets.rowsIn('CLOSE_WAIT'), ...sockets.rowsIn('FIN_WAIT_2'), ...listenersOfNotAccepted(sockets), ...queued])].filter((i) => sockets.inode[i] !== 0);
    const scan = scanOwners(new Set(rows.map((i) => sockets.inode[i] as number)), proc);
    ownersSeen = true;
    ownerScan = { unreadable: scan.unreadable };
    for (const i of rows) {
      const owners = scan.byInode.get(sockets.inode[i] as number);
      if (owners) sockets.owners.set(i, owners);
    }
  }

  const snmp = text('net/snmp');
  const netstat = text('net/netstat');
  const counters = snmp === undefined && netstat === undefined ? undefined : { ...parseSnmp(snmp ?? ''), ...parseSnmp(netstat ?? '') };
  if (counters === undefined) notes.push('could not read /proc/net/snmp or /proc/net/netstat: no counters');

  const sysctlText = new Map<string, string>();
  for (const name of INSPECTED_SYSCTLS) {
    const value = text(join('sys', ...name.split('.')));
    if (value !== undefined) sysctlText.set(name, value.trim());
  }
  if (sysctlText.size === 0) notes.push('could not read /proc/sys/net: sysctls are shown at their defaults');
  const ehashText = text('sys/net/ipv4/tcp_ehash_entries');
  const ehash = ehashText === undefined ? NaN : Number(ehashText.trim());

  const slabText = text('slabinfo');
  const slab = slabText === undefined ? undefined : parseSlabinfo(slabText);
  if (slab === undefined) {
    notes.push('could not read /proc/slabinfo (root only): timewait memory uses 256 bytes per socket (tw_sock_TCP on 6.18 x86-64)');
  }

  const release = text('sys/kernel/osrelease')?.trim();
  if (release === undefined) notes.push('could not read the kernel release (/proc/sys/kernel/osrelease)');

  return {
    origin: { kind: 'host', kernelRelease: release },
    takenAtMs,
    sockets,
    socketSource: list.from,
    skipped: list.skipped,
    skippedExamples: list.examples,
    ownersSeen,
    // Both netlink sock_diag (idiag_inode) and /proc/net/tcp give every socket's inode.
    socketInodes: true,
    ...(ownerScan ? { ownerScan } : {}),
    boundInactiveListed: list.from === NETLINK_SOURCE && listsBoundInactive(release),
    ...(sockstat ? { sockstat } : {}),
    ...(counters ? { counters } : {}),
    sysctlText,
    ...(Number.isFinite(ehash) ? { ehashEntries: ehash } : {}),
    ...(slab ? { slab } : {}),
    notes,
  };
}

/** Whether netlink sock_diag lists bound, not listening sockets on this kernel: TCPF_BOUND_INACTIVE, 6.8 on (sock-diag.ts). */
function listsBoundInactive(release: string | undefined): boolean {
  const v = release === undefined ? undefined : kernelVersion(release);
  return v !== undefined && (v[0] > 6 || (v[0] === 6 && v[1] >= 8));
}

/** /proc/net/tcp and /proc/net/tcp6, parsed; what could not be read is a note. */
function readProcSockets(proc: string, notes: string[]): Parsed & { from: string } {
  const list: Parsed = { sockets: new SocketTable(), skipped: 0, examples: [] };
  const littleEndian = endianness() === 'LE';
  const read: string[] = [];
  for (const file of ['net/tcp', 'net/tcp6']) {
    let buf: Buffer;
    try {
      buf = readWhole(join(proc, file));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (file === 'net/tcp6' && code === 'ENOENT') notes.push('no /proc/net/tcp6: IPv6 is disabled on this host');
      else notes.push(`could not read ${join(proc, file)} (${code ?? String(e)}): its sockets are not counted`);
      continue;
    }
    read.push(join(proc, file));
    const parsed = parseProcTcp(buf, { littleEndian, into: list.sockets });
    list.skipped += parsed.skipped;
    list.examples.push(...parsed.examples);
  }
  return { ...list, from: read.join(' + ') || 'none' };
}
