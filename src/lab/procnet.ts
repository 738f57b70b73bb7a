// The kernel's own tables, parsed once into records (style.md 8): /proc/net/tcp for sockets
// and their states, /proc/net/snmp + /proc/net/netstat for the MIB counters under nstat's
// names, /proc/net/nf_conntrack and /proc/net/stat/nf_conntrack for a NAT namespace.
// Pure text -> records; reading the files is the caller's business (a namespace's view is
// /proc/PID/net/... of any process inside it).

import type { TcpState } from '../tcp/state.js';
import { emptyStateCounts, type StateCounts } from '../tcp/state.js';

/** One line of /proc/net/tcp (net/ipv4/tcp_ipv4.c get_tcp4_sock, get_timewait4_sock, get_openreq4). */
export interface ProcSocket {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: TcpState;
  /** `tr`: 0 none, 1 retransmit, 2 keepalive, 3 a timewait socket, 4 zero-window probe. */
  timer: number;
}

/** include/net/tcp_states.h, in the order of the enum (1-based); 12 is TCP_NEW_SYN_RECV. */
const STATE_BY_CODE: Readonly<Record<number, TcpState>> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT_1',
  5: 'FIN_WAIT_2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
  // Request sockets print as SYN_RECV (get_openreq4), but a NEW_SYN_RECV code costs nothing.
  12: 'SYN_RECV',
};

/** `tr` of a timewait socket (TIME_WAIT or its FIN_WAIT_2 substate): get_timewait4_sock prints 3. */
export const TIMER_TIMEWAIT = 3;

/** "0100007F" (the __be32 printed as a host-order %08X, i.e. reversed on little-endian) -> "127.0.0.1". */
export function procAddress(hex: string): string {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) throw new Error(`not an IPv4 address in /proc/net/tcp: ${hex}`);
  const bytes = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return bytes.join('.');
}

/** Parses /proc/net/tcp text. Lines that are not socket lines (the header) are skipped. */
export function parseProcTcp(text: string): ProcSocket[] {
  const out: ProcSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^\d+:$/.test(f[0] ?? '')) continue;
    const [local, remote, st, , timerField] = f.slice(1, 6) as [string, string, string, string, string];
    const [la, lp] = local.split(':') as [string, string];
    const [ra, rp] = remote.split(':') as [string, string];
    const state = STATE_BY_CODE[parseInt(st, 16)];
    if (state === undefined) throw new Error(`unknown TCP state ${st} in /proc/net/tcp line: ${line.trim()}`);
    out.push({
      localAddress: procAddress(la),
      localPort: parseInt(lp, 16),
      remoteAddress: procAddress(ra),
      remotePort: parseInt(rp, 16),
      state,
      timer: parseInt(timerField.split(':')[0] ?? '0', 16),
    });
  }
  return out;
}

/** What one look at a namespace's sockets tells. */
export interface SocketCensus {
  states: StateCounts;
  /** Timewait sockets (TIME_WAIT and the FIN_WAIT_2 substate): the kernel's tw_sock_TCP objects. */
  timewait: number;
  /** Distinct local ports held by any socket: the bind buckets in use. */
  localPorts: number;
}

export function census(sockets: readonly ProcSocket[]): SocketCensus {
  const states = emptyStateCounts();
  const ports = new Set<number>();
  let timewait = 0;
  for (const s of sockets) {
    states[s.state]++;
    if (s.timer === TIMER_TIMEWAIT) timewait++;
    ports.add(s.localPort);
  }
  return { states, timewait, localPorts: ports.size };
}

/**
 * /proc/net/snmp or /proc/net/netstat: pairs of lines "Prefix: Name1 Name2 ..." and
 * "Prefix: v1 v2 ...", read as nstat names them (prefix + name: TcpActiveOpens, TcpExtTW).
 */
export function parseMibTables(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = (lines[i] as string).trim().split(/\s+/);
    const values = (lines[i + 1] as string).trim().split(/\s+/);
    const prefix = names[0];
    if (prefix === undefined || prefix !== values[0] || !prefix.endsWith(':')) {
      throw new Error(`unexpected MIB table lines: "${lines[i]}" / "${lines[i + 1]}"`);
    }
    const p = prefix.slice(0, -1);
    for (let k = 1; k < names.length; k++) out.set(p + names[k], Number(values[k]));
  }
  return out;
}

/** Tcp values that are gauges or constants, not counters: a delta of them means nothing. */
const NOT_COUNTERS: ReadonlySet<string> = new Set(['TcpRtoAlgorithm', 'TcpRtoMin', 'TcpRtoMax', 'TcpMaxConn', 'TcpCurrEstab']);

/** Whether nstat would show the name among the TCP counters (Tcp*, TcpExt*). */
export function isTcpCounter(name: string): boolean {
  return name.startsWith('Tcp') && !NOT_COUNTERS.has(name);
}

/** after - before for every TCP counter in `after` (a counter absent before started at 0). */
export function mibDelta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, v] of after) if (isTcpCounter(name)) out.set(name, v - (before.get(name) ?? 0));
  return out;
}

/** One connection of /proc/net/nf_conntrack (the original and the reply tuple). */
export interface ConntrackEntry {
  state: string;
  orig: { src: string; dst: string; sport: number; dport: number };
  reply: { src: string; dst: string; sport: number; dport: number };
}

/** TCP lines of /proc/net/nf_conntrack ("ipv4 2 tcp 6 117 TIME_WAIT src=… dst=… sport=… dport=… src=…"). */
export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[2] !== 'tcp') continue;
    const kv = f.filter((w) => w.includes('=')).map((w) => w.split('=') as [string, string]);
    const get = (key: string, nth: number): string => kv.filter(([k]) => k === key)[nth]?.[1] ?? '';
    const tuple = (nth: number): ConntrackEntry['orig'] => ({
      src: get('src', nth),
      dst: get('dst', nth),
      sport: Number(get('sport', nth)),
      dport: Number(get('dport', nth)),
    });
    out.push({ state: f[5] ?? '', orig: tuple(0), reply: tuple(1) });
  }
  return out;
}

/** Whether masquerade rewrote the source port (the reply comes back to another port). */
export function portRemapped(e: ConntrackEntry): boolean {
  return e.reply.dport !== e.orig.sport;
}

/** /proc/net/stat/nf_conntrack: hexadecimal columns, one line per CPU; summed per column. */
export function parseConntrackStat(text: string): Map<string, number> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const names = (lines[0] ?? '').trim().split(/\s+/);
  const out = new Map<string, number>(names.map((n) => [n, 0]));
  for (const line of lines.slice(1)) {
    const values = line.trim().split(/\s+/);
    names.forEach((n, i) => {
      // `entries` is the namespace's count repeated on every CPU's line, not a per-CPU value.
      const v = parseInt(values[i] ?? '0', 16);
      out.set(n, n === 'entries' ? v : (out.get(n) ?? 0) + v);
    });
  }
  return out;
}
