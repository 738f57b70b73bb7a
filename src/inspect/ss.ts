// A saved `ss -tan` / `ss -tanp` (iproute2) -> socket records.
//
//   State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
//   ESTAB  0      0      198.18.0.1:40002    198.18.0.2:80     users:(("curl",pid=812,fd=5))
//   LISTEN 0      4096   [::]:22             [::]:*
//
// With -H there is no header; `ss -an` adds a Netid column first (only tcp lines are kept);
// -o, -e, -i add fields after the peer. Of those only -e's "ino:N" is read: the socket's
// inode, 0 for one no file refers to (socket-owners.ts), printed on every line, so a dump
// gives inodes when all its lines have one (a line without it was not saved with -e). ss prints states with dashes
// and ESTAB/UNCONN for ESTABLISHED/CLOSE (misc/ss.c sstate_name). A TCP socket ss shows as
// UNCONN is bound and not listening (iproute2 6.8 on lists them with -a or -B, from kernel
// 6.8): it is in no state, as netlink's reader keeps it (SocketTable.boundInactive), and holds its port.

import { printable } from '../report/format.js';
import type { TcpState } from '../tcp/state.js';
import { isIpv4, isIpv6 } from './address.js';
import { LineParser, STATE_INDEX, type SocketTable, type Family, type Owner, type Parsed, type SocketRecord } from './socket.js';

const STATE_BY_NAME: ReadonlyMap<string, TcpState> = new Map([
  ['ESTAB', 'ESTABLISHED'],
  ['SYN-SENT', 'SYN_SENT'],
  ['SYN-RECV', 'SYN_RECV'],
  ['FIN-WAIT-1', 'FIN_WAIT_1'],
  ['FIN-WAIT-2', 'FIN_WAIT_2'],
  ['TIME-WAIT', 'TIME_WAIT'],
  ['UNCONN', 'CLOSE'],
  ['CLOSE-WAIT', 'CLOSE_WAIT'],
  ['LAST-ACK', 'LAST_ACK'],
  ['LISTEN', 'LISTEN'],
  ['CLOSING', 'CLOSING'],
]);

/** Whether a word is one of the state names ss prints. */
export function isSsState(word: string): boolean {
  return STATE_BY_NAME.has(word);
}

/**
 * "198.18.0.1:80", "[::1]:80", "*:22" -> address and port. A socket bound to a device
 * (SO_BINDTODEVICE, or a link-local address's scope) has its interface after the address:
 * ss prints "[fe80::1]%eth0:22" and "127.0.0.1%lo:53" (misc/ss.c inet_addr_print puts the
 * brackets round the address, then sock_addr_print adds "%ifname"); "[fe80::1%eth0]:22" and
 * the bracketless "fe80::1%eth0:22" of older ss are read too. Interface names have no ':'
 * (net/core/dev.c dev_valid_name), so the port is after the last one.
 */
export function parseEndpoint(text: string): { address: string; port: number; family: Family | undefined } | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const portText = text.slice(colon + 1);
  const port = portText === '*' ? 0 : /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) return undefined;
  let host = text.slice(0, colon);
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0 || !isScope(host.slice(close + 1))) return undefined;
    host = host.slice(1, close);
  }
  const scope = host.indexOf('%');
  if (scope >= 0) {
    if (!isScope(host.slice(scope))) return undefined;
    host = host.slice(0, scope);
  }
  if (host === '*') return { address: '*', port, family: undefined };
  if (isIpv4(host)) return { address: host, port, family: 4 };
  if (isIpv6(host)) return { address: host.toLowerCase(), port, family: 6 };
  return undefined;
}

/** "" or "%ifname": what may follow an address. */
function isScope(text: string): boolean {
  return text === '' || (text.length > 1 && text.startsWith('%'));
}

/**
 * `users:(("nginx",pid=10,fd=6),("nginx",pid=11,fd=6))` -> owners (one per pid), names escaped
 * (printable). ss prints a command name as it is, quotes and backslashes included (misc/ss.c
 * does no escaping), so a name ends at the first `",pid=N,fd=N)` after it.
 */
export function parseSsUsers(text: string): Owner[] {
  const owners: Owner[] = [];
  const re = /\("(.*?)",pid=(\d+),fd=\d+\)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const pid = Number(m[2]);
    if (!owners.some((o) => o.pid === pid)) owners.push({ pid, command: printable(m[1] ?? '') });
  }
  return owners;
}

/**
 * The states ss leaves out without -a or a state filter: its default is every state but
 * these (misc/ss.c SS_CONN). A dump with sockets but none of them was likely saved that way.
 */
const HIDDEN_WITHOUT_ALL: readonly TcpState[] = ['LISTEN', 'CLOSE', 'TIME_WAIT', 'SYN_RECV'];

/**
 * Whether sockets read from ss look saved without -a (`ss -tn`): some sockets, none in a state
 * that leaves out. UNCONN lines go to boundInactive, not CLOSE, and only -a or -B lists them.
 */
export function looksSavedWithoutAll(sockets: SocketTable): boolean {
  return (
    sockets.length > 0 &&
    sockets.boundInactive.length === 0 &&
    HIDDEN_WITHOUT_ALL.every((s) => sockets.ipv4[STATE_INDEX[s]] === 0 && sockets.ipv6[STATE_INDEX[s]] === 0)
  );
}

export class SsFormatError extends Error {
  override readonly name = 'SsFormatError';
}

/** ss's sockets, and whether they carry their inodes (every line had -e's "ino:"). */
export interface SsParsed extends Parsed {
  inodes: boolean;
}

export function parseSs(text: string): SsParsed {
  const parser = new SsParser();
  parser.feed(text);
  return parser.end();
}

/** Reads ss's text a piece at a time, so that a dump of any size can be read (dump.ts). */
export class SsParser extends LineParser {
  /** Whether the header has a Netid column (`ss -an`): lines then start with "tcp", "udp" ... */
  private netid = false;

  end(): SsParsed {
    const inodes = this.inodes();
    return { sockets: this.sockets, skipped: this.skip.count, examples: this.skip.examples, inodes };
  }

  protected line(raw: string, lineNo: number): void {
    const skip = this.skip;
    const line = raw.trim();
    if (line === '') return;
    const words = line.split(/\s+/);
    const first = words[0] ?? '';
    if (first === 'State' || first === 'Netid') {
      this.netid = first === 'Netid';
      return;
    }
    if (first === 'Recv-Q') {
      throw new SsFormatError('this ss output has no State column (it was saved with a state filter); save `ss -tan` without one');
    }
    let w = words;
    if (this.netid || (!isSsState(first) && isSsState(words[1] ?? ''))) {
      if (first !== 'tcp') return; // udp, u_str ... in `ss -an`
      w = words.slice(1);
    }
    const state = STATE_BY_NAME.get(w[0] ?? '');
    if (state === undefined) {
      skip.add(lineNo, `unknown state "${w[0] ?? ''}"`, raw);
      return;
    }
    if (w.length < 5 || !/^\d+$/.test(w[1] ?? '') || !/^\d+$/.test(w[2] ?? '')) {
      skip.add(lineNo, 'expected State Recv-Q Send-Q Local Peer', raw);
      return;
    }
    const local = parseEndpoint(w[3] ?? '');
    const peer = parseEndpoint(w[4] ?? '');
    if (!local || !peer) {
      skip.add(lineNo, local ? 'bad peer address' : 'bad local address (was it saved with -n?)', raw);
      return;
    }
    if (local.family !== undefined && peer.family !== undefined && local.family !== peer.family) {
      skip.add(lineNo, 'local and peer addresses of different families', raw);
      return;
    }
    const family = local.family ?? peer.family ?? 6;
    const rest = w.slice(5).join(' ');
    const inode = /\bino:(\d+)/.exec(rest);
    this.socketLines++;
    if (inode) this.inodeLines++;
    if (state === 'CLOSE') {
      this.sockets.boundInactive.push({ family, localAddress: this.sockets.addressId(wildcard(local.address, family)), localPort: local.port });
      return;
    }
    const record: SocketRecord = {
      family,
      state,
      localAddress: wildcard(local.address, family),
      localPort: local.port,
      remoteAddress: wildcard(peer.address, family),
      remotePort: peer.port,
      inode: 0,
    };
    if (rest.includes('users:(')) record.owners = parseSsUsers(rest);
    if (inode) record.inode = Number(inode[1]);
    const row = this.sockets.add(record);
    // A LISTEN line's Recv-Q and Send-Q are its accept queue and backlog (socket.ts ListenQueue).
    if (state === 'LISTEN') this.sockets.listenQueues.set(row, { queued: Number(w[1]), backlog: Number(w[2]) });
  }
}

/** ss prints "*" for an unspecified address of a dual-stack socket. */
function wildcard(address: string, family: Family): string {
  if (address !== '*') return address;
  return family === 4 ? '0.0.0.0' : '::';
}
