// One TCP socket as inspect sees it, whatever it was read from (/proc/net/tcp{,6}, a saved
// `ss -tan[p]` or `netstat -ant[p]`): the typed record every other inspect module works on
// (style.md 8: parse raw text once, at the edge).

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

/** A line a parser could not read: skipped and counted, never fatal. */
export interface SkippedLine {
  /** 1-based line number in the input. */
  line: number;
  reason: string;
  /** The line, cut to 120 characters. */
  text: string;
}

/** What a parser returns: the sockets, and what it skipped. */
export interface Parsed {
  sockets: SocketRecord[];
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

  add(line: number, reason: string, text: string): void {
    this.count++;
    if (this.examples.length < SKIPPED_EXAMPLES) this.examples.push({ line, reason, text: text.slice(0, 120) });
  }
}
