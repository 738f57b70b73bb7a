// What one look at a host (or at a saved dump) gave: the input of analyze.ts. Both the live
// reader (host.ts) and --from (dump.ts) produce it, so the analysis, the advice and the
// exporter never care where the sockets came from.

import type { DumpFormat } from './options.js';
import type { SlabCache, Sockstat } from './procfiles.js';
import type { SkippedLine, SocketTable } from './socket.js';

export type Origin =
  | { kind: 'host'; kernelRelease: string | undefined }
  | { kind: 'file'; path: string; format: DumpFormat };

export interface Observation {
  origin: Origin;
  /** Wall-clock time of the look, ms since the epoch (given by the caller). */
  takenAtMs: number;
  sockets: SocketTable;
  /** Where the socket list came from, for the report ("/proc/net/tcp + /proc/net/tcp6"). */
  socketSource: string;
  skipped: number;
  skippedExamples: SkippedLine[];
  /** Whether sockets carry their owners (a live /proc scan, ss -p, netstat -p). */
  ownersSeen: boolean;
  /**
   * Whether every socket carries its inode (sock_i_ino, 0 when no file refers to it): netlink
   * sock_diag and /proc/net/tcp, live or saved, and ss -e or netstat -e text. Without it a
   * never-accepted CLOSE_WAIT or an orphan cannot be told from a socket whose process is not named.
   */
  socketInodes: boolean;
  /**
   * The live owner scan (host.ts, owners.ts), when there was one: how many processes'
   * /proc/PID/fd could not be read (other users' processes, unprivileged).
   */
  ownerScan?: { unreadable: number };
  /**
   * Whether the socket list includes the bound, not listening sockets (SocketTable.
   * boundInactive): netlink sock_diag on 6.8 on. Otherwise their number is not known.
   */
  boundInactiveListed?: boolean;
  sockstat?: Sockstat & { inuse6: number | undefined };
  /** MIB counters under nstat's names (TcpExtTW ...). */
  counters?: Record<string, number>;
  /** sysctl(8) name -> the text /proc/sys printed; absent for a dump. Missing files are absent. */
  sysctlText?: ReadonlyMap<string, string>;
  /** net.ipv4.tcp_ehash_entries (negative: this netns shares the host's table). */
  ehashEntries?: number;
  slab?: ReadonlyMap<string, SlabCache>;
  /** What could not be seen, in words. */
  notes: string[];
}
