// TCP sockets as inspect sees them, whatever they were read from (netlink sock_diag,
// /proc/net/tcp{,6}, a saved `ss -tan[pe]` or `netstat -ant[pe]`): the typed table every other
// inspect module works on (style.md 8: parse raw input once, at the edge), and one socket
// as a record.

import { printable } from '../report/format.js';
import { TCP_STATES, type TcpState } from '../tcp/state.js';

export type Family = 4 | 6;

/**
 * The kernel's state numbers (include/net/tcp_states.h, from 1; TCP_STATES is in that order),
 * as /proc/net/tcp prints them and sock_diag reports them. Request sockets (TCP_NEW_SYN_RECV,
 * 12) are SYN_RECV, as /proc (get_openreq4) and ss print them.
 */
const STATE_BY_CODE: readonly (TcpState | undefined)[] = [undefined, ...TCP_STATES, 'SYN_RECV'];

/** The state of a kernel state number, or undefined for a number it does not have. */
export function stateOfCode(code: number): TcpState | undefined {
  return STATE_BY_CODE[code];
}

/** A state's index in TCP_STATES: how SocketTable stores it. */
export const STATE_INDEX = Object.fromEntries(TCP_STATES.map((s, i) => [s, i])) as Readonly<Record<TcpState, number>>;

/** stateIndexOfCode as a table (for loops that cannot afford a call). */
export const STATE_INDEX_BY_CODE = Int8Array.from({ length: 256 }, (_, code) => {
  const state = STATE_BY_CODE[code];
  return state === undefined ? -1 : STATE_INDEX[state];
});

/** The TCP_STATES index of a kernel state number (0-255), or -1 for a number it does not have. */
export function stateIndexOfCode(code: number): number {
  return STATE_INDEX_BY_CODE[code] ?? -1;
}

/** A process holding a socket (from /proc/PID/fd, or the dump's process column). */
export interface Owner {
  pid: number;
  /** /proc/PID/comm (at most 15 characters), or the name the dump printed. */
  command: string;
}

export interface SocketRecord {
  family: Family;
  state: TcpState;
  /** As ss prints it, without brackets: "198.18.0.1", "::1", "::ffff:198.18.0.2". */
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Socket inode (/proc/net/tcp); 0 for timewait sockets, request sockets and orphans
   *  (no file refers to them), and when the source does not say. */
  inode: number;
  /** Owners when the source names them (ss -p, netstat -p), else filled in by owners.ts. */
  owners?: Owner[];
}

/**
 * A socket bound to a local port that neither listens nor connects (bind() alone, or bound
 * again after its connection ended): what inet_diag lists for TCP_BOUND_INACTIVE (6.8 on).
 */
export interface BoundSocket {
  family: Family;
  /** Number of the address text in SocketTable.addresses. */
  localAddress: number;
  localPort: number;
}

/**
 * A listener's accept queue, as `ss -ltn` shows it in Recv-Q and Send-Q. For a LISTEN socket
 * the kernel reports sk_ack_backlog (connections handshaken and waiting for accept()) and
 * sk_max_ack_backlog (listen()'s backlog, already capped at net.core.somaxconn by
 * socket.c __sys_listen_socket): tcp_diag.c tcp_diag_get_info puts them in idiag_rqueue and
 * idiag_wqueue, and tcp_ipv4.c get_tcp4_sock prints the first as rx_queue (/proc has no
 * backlog; its tx_queue for a listener is not it).
 */
export interface ListenQueue {
  /** Connections waiting for accept(). */
  queued: number;
  /** listen()'s backlog; null when the source does not give it (/proc/net/tcp, netstat). */
  backlog: number | null;
}

/** A line a parser could not read: skipped and counted, never fatal. */
export interface SkippedLine {
  /** 1-based line number in the input. */
  line: number;
  /** Why, cut to 120 characters, with any text quoted from the line escaped (see printable). */
  reason: string;
  /** The line, cut to 120 characters, non-printable characters escaped (\x1b). */
  text: string;
}

/** The states SocketTable keeps rows of (see SocketTable.rowsIn). */
export type IndexedState = 'LISTEN' | 'CLOSE' | 'CLOSE_WAIT' | 'FIN_WAIT_2';
const INDEXED_STATES = Uint8Array.from(TCP_STATES, (s) => (s === 'LISTEN' || s === 'CLOSE' || s === 'CLOSE_WAIT' || s === 'FIN_WAIT_2' ? 1 : 0));

/**
 * Sockets as columns: one typed array per field, a row per socket, and each distinct
 * address text kept once and referred to by its number. A busy host has 100 000s of
 * sockets; building and garbage-collecting an object for each cost inspect more than the
 * kernel took to list them (docs/inspect.md), so the parsers append rows and analyze.ts
 * reads the columns. Rows keep the order the sockets were read in.
 */
export class SocketTable {
  length = 0;
  /** 4 or 6. */
  family: Uint8Array;
  /** Index in TCP_STATES. */
  state: Uint8Array;
  localPort: Uint16Array;
  remotePort: Uint16Array;
  /** Number of the address text in `addresses`. */
  localAddress: Uint32Array;
  remoteAddress: Uint32Array;
  /** See SocketRecord.inode. */
  inode: Uint32Array;
  /** Address texts by number, as ss prints them. */
  readonly addresses: string[] = [];
  /** Owners by row, for the rows whose owners are known (ss -p, netstat -p, owners.ts). */
  readonly owners = new Map<number, Owner[]>();
  /**
   * Accept queues by row, for LISTEN rows only: a host has few listeners, so a map costs the
   * 100 000 other rows nothing (no column of their own). Empty when the source gives none.
   */
  readonly listenQueues = new Map<number, ListenQueue>();
  /**
   * Bound, not listening sockets (the netlink reader's, 6.8 on). Not rows: ss -tan (iproute2
   * 6.1) and /proc/net/tcp do not list them, so they are in no state's count; their ports are
   * held all the same (connect() skips a port bind() holds).
   */
  readonly boundInactive: BoundSocket[] = [];
  /** Sockets by state (TCP_STATES index), per family, counted as rows are added. */
  readonly ipv4 = new Uint32Array(TCP_STATES.length);
  readonly ipv6 = new Uint32Array(TCP_STATES.length);
  /**
   * Rows by state for the states few sockets are in and that readers look at before the
   * rest (LISTEN and CLOSE: the ports bind() and listen() hold; CLOSE_WAIT and FIN_WAIT_2:
   * whose owners are looked up), kept as rows are added, so that no reader walks 100 000
   * TIME_WAIT rows to find them. Empty for the other states.
   */
  private readonly indexed: number[][] = TCP_STATES.map(() => []);
  private readonly addressIds = new Map<string, number>();

  constructor(capacity = 1024) {
    this.family = new Uint8Array(capacity);
    this.state = new Uint8Array(capacity);
    this.localPort = new Uint16Array(capacity);
    this.remotePort = new Uint16Array(capacity);
    this.localAddress = new Uint32Array(capacity);
    this.remoteAddress = new Uint32Array(capacity);
    this.inode = new Uint32Array(capacity);
  }

  static of(records: Iterable<SocketRecord>): SocketTable {
    const t = new SocketTable();
    for (const r of records) t.add(r);
    return t;
  }

  /** The number of an address text; a new text gets the next one. */
  addressId(text: string): number {
    let id = this.addressIds.get(text);
    if (id === undefined) {
      id = this.addresses.length;
      this.addresses.push(text);
      this.addressIds.set(text, id);
    }
    return id;
  }

  /** Appends a row: the state as its TCP_STATES index, addresses by number. Returns the row. */
  push(family: Family, state: number, localAddress: number, localPort: number, remoteAddress: number, remotePort: number, inode: number): number {
    const i = this.length;
    if (i === this.family.length) this.grow();
    this.family[i] = family;
    this.state[i] = state;
    this.localAddress[i] = localAddress;
    this.localPort[i] = localPort;
    this.remoteAddress[i] = remoteAddress;
    this.remotePort[i] = remotePort;
    this.inode[i] = inode;
    this.length = i + 1;
    const counts = family === 4 ? this.ipv4 : this.ipv6;
    counts[state] = (counts[state] as number) + 1;
    if (INDEXED_STATES[state] === 1) (this.indexed[state] as number[]).push(i);
    return i;
  }

  /** The rows in LISTEN, CLOSE, CLOSE_WAIT or FIN_WAIT_2, in the order they were added. */
  rowsIn(state: IndexedState): readonly number[] {
    return this.indexed[STATE_INDEX[state]] as number[];
  }

  add(r: SocketRecord): number {
    const i = this.push(r.family, STATE_INDEX[r.state], this.addressId(r.localAddress), r.localPort, this.addressId(r.remoteAddress), r.remotePort, r.inode);
    if (r.owners !== undefined) this.owners.set(i, r.owners);
    return i;
  }

  stateOf(i: number): TcpState {
    return TCP_STATES[this.state[i] as number] as TcpState;
  }

  /** Row i as a record (for tests and the few places that want one socket whole). */
  record(i: number): SocketRecord {
    const owners = this.owners.get(i);
    return {
      family: this.family[i] as Family,
      state: this.stateOf(i),
      localAddress: this.addresses[this.localAddress[i] as number] as string,
      localPort: this.localPort[i] as number,
      remoteAddress: this.addresses[this.remoteAddress[i] as number] as string,
      remotePort: this.remotePort[i] as number,
      inode: this.inode[i] as number,
      ...(owners !== undefined ? { owners } : {}),
    };
  }

  records(): SocketRecord[] {
    return Array.from({ length: this.length }, (_, i) => this.record(i));
  }

  private grow(): void {
    const n = Math.max(1024, this.family.length * 2);
    const wider = <T extends Uint8Array | Uint16Array | Uint32Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(n);
      b.set(a);
      return b;
    };
    this.family = wider(this.family, Uint8Array);
    this.state = wider(this.state, Uint8Array);
    this.localPort = wider(this.localPort, Uint16Array);
    this.remotePort = wider(this.remotePort, Uint16Array);
    this.localAddress = wider(this.localAddress, Uint32Array);
    this.remoteAddress = wider(this.remoteAddress, Uint32Array);
    this.inode = wider(this.inode, Uint32Array);
  }
}

/** What a parser returns: the sockets, and what it skipped. */
export interface Parsed {
  sockets: SocketTable;
  /** Lines that looked like socket lines but could not be read. */
  skipped: number;
  /** The first few skipped lines, for the report. */
  examples: SkippedLine[];
}

/** How many skipped lines a report shows. */
export const SKIPPED_EXAMPLES = 5;

/** Collects skipped lines: the count and the first SKIPPED_EXAMPLES of them. */
export class SkipLog {
  count = 0;
  readonly examples: SkippedLine[] = [];

  /** `reason` and `text` may hold the input's bytes: they are kept escaped (printable), as they will be shown. */
  add(line: number, reason: string, text: string): void {
    this.count++;
    if (this.examples.length < SKIPPED_EXAMPLES) this.examples.push({ line, reason: printable(reason.slice(0, 120)), text: printable(text.slice(0, 120)) });
  }
}

/**
 * A text dump's parser (ss, netstat), fed pieces of whole lines (dump.ts reads a file of any
 * size that way): numbers the lines for the skip log, and counts the socket lines that
 * carried their inode (-e), to tell whether the dump as a whole gives inodes.
 */
export abstract class LineParser {
  protected readonly sockets = new SocketTable();
  protected readonly skip = new SkipLog();
  /** Socket lines read, and of those, lines that carried -e's inode. */
  protected socketLines = 0;
  protected inodeLines = 0;
  /** Lines read so far. */
  private lineNo = 0;

  /** Reads whole lines: a piece ends at a line end, or at the end of the dump. */
  feed(text: string): void {
    const lines = text.split('\n');
    const n = text.endsWith('\n') ? lines.length - 1 : lines.length;
    for (let i = 0; i < n; i++) this.line(lines[i] ?? '', ++this.lineNo);
  }

  /** Whether every socket line carried its inode. */
  protected inodes(): boolean {
    return this.socketLines > 0 && this.inodeLines === this.socketLines;
  }

  protected abstract line(raw: string, lineNo: number): void;
}
