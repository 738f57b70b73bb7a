// A saved `netstat -ant` / `netstat -antp` (net-tools) -> socket records.
//
//   Active Internet connections (servers and established)
//   Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name
//   tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      612/sshd: /usr/sbin
//   tcp6       0      0 :::80                   :::*                    LISTEN      -
//
// IPv6 addresses have no brackets (the port follows the last colon) and, without -W, are cut
// to fit the column; a tcp6 socket talking IPv4 is printed with IPv4 addresses (v4-mapped,
// "198.18.0.1:7001" on a tcp6 line). netstat names states with underscores but FIN_WAIT1/FIN_WAIT2
// (net-tools netstat.c tcp_state). With -p the last column is PID/Program ("-" for none);
// the program name may contain spaces. -e adds User and Inode after State, before PID/Program
// (`netstat -antpe`; netstat.c finish_this_one): the inode, 0 for a socket no file refers to
// (socket-owners.ts). A dump gives inodes when all its lines have the column.
//
//   Proto Recv-Q Send-Q Local Address    Foreign Address   State       User  Inode     PID/Program name
//   tcp        3      0 198.18.0.1:7004  0.0.0.0:*         LISTEN      0     27305676  17597/python3
//   tcp        1      0 198.18.0.1:7004  198.18.0.1:34046  CLOSE_WAIT  0     0         -

import { printable } from '../report/format.js';
import type { TcpState } from '../tcp/state.js';
import { parseEndpoint } from './ss.js';
import { LineParser, type Parsed, type SocketRecord } from './socket.js';

const STATE_BY_NAME: ReadonlyMap<string, TcpState> = new Map([
  ['ESTABLISHED', 'ESTABLISHED'],
  ['SYN_SENT', 'SYN_SENT'],
  ['SYN_RECV', 'SYN_RECV'],
  ['FIN_WAIT1', 'FIN_WAIT_1'],
  ['FIN_WAIT2', 'FIN_WAIT_2'],
  ['TIME_WAIT', 'TIME_WAIT'],
  ['CLOSE', 'CLOSE'],
  ['CLOSE_WAIT', 'CLOSE_WAIT'],
  ['LAST_ACK', 'LAST_ACK'],
  ['LISTEN', 'LISTEN'],
  ['CLOSING', 'CLOSING'],
]);

/**
 * Width of netstat's address columns: without -W, an address whose "address:port" would be
 * longer is cut so that it is exactly this long (net-tools netstat.c tcp_do_one: without
 * flag_wide, the address is cut to 22 characters less the port's, then ":port" is added).
 */
export const NETSTAT_ADDRESS_WIDTH = 23;

export interface NetstatParsed extends Parsed {
  /** tcp6 lines with an address likely cut to the column (0 when the dump shows -W was used). */
  cutIpv6Lines: number;
  /** How many of those could not be read at all (they are in `skipped` too). */
  cutIpv6Skipped: number;
  /** Whether the sockets carry their inodes: every line had -e's User and Inode columns. */
  inodes: boolean;
}

export function parseNetstat(text: string): NetstatParsed {
  const parser = new NetstatParser();
  parser.feed(text);
  return parser.end();
}

/** Reads netstat's text a piece at a time, so that a dump of any size can be read (dump.ts). */
export class NetstatParser extends LineParser {
  /** tcp6 lines with an address of exactly the column's width; read and not. */
  private full = 0;
  private fullSkipped = 0;
  /** An address wider than the column: saved with -W, so nothing was cut. */
  private wide = false;

  end(): NetstatParsed {
    const cut = this.wide ? 0 : this.full;
    const cutSkipped = this.wide ? 0 : this.fullSkipped;
    const inodes = this.inodes();
    return { sockets: this.sockets, skipped: this.skip.count, examples: this.skip.examples, cutIpv6Lines: cut, cutIpv6Skipped: cutSkipped, inodes };
  }

  protected line(raw: string, lineNo: number): void {
    const skip = this.skip;
    const line = raw.trim();
    if (line === '' || line.startsWith('Active ') || line.startsWith('Proto ')) return;
    const w = line.split(/\s+/);
    const proto = w[0] ?? '';
    if (proto === 'udp' || proto === 'udp6' || proto === 'raw' || proto === 'raw6' || proto === 'unix') return;
    if (proto !== 'tcp' && proto !== 'tcp6') {
      skip.add(lineNo, `unknown protocol "${proto}"`, raw);
      return;
    }
    if (w.length < 6 || !/^\d+$/.test(w[1] ?? '') || !/^\d+$/.test(w[2] ?? '')) {
      skip.add(lineNo, 'expected Proto Recv-Q Send-Q Local Foreign State', raw);
      return;
    }
    const state = STATE_BY_NAME.get(w[5] ?? '');
    if (state === undefined) {
      skip.add(lineNo, `unknown state "${w[5] ?? ''}"`, raw);
      return;
    }
    const localText = w[3] ?? '';
    const peerText = w[4] ?? '';
    // Without -W a long IPv6 address is cut: "fe80::b488:78ff:fe:2222" was fe80::b488:78ff:fe32:8360.
    const fills = proto === 'tcp6' && (localText.length === NETSTAT_ADDRESS_WIDTH || peerText.length === NETSTAT_ADDRESS_WIDTH);
    if (localText.length > NETSTAT_ADDRESS_WIDTH || peerText.length > NETSTAT_ADDRESS_WIDTH) this.wide = true;
    if (fills) this.full++;
    const local = parseEndpoint(localText);
    const peer = parseEndpoint(peerText);
    if (!local || !peer) {
      const which = local ? 'foreign' : 'local';
      skip.add(lineNo, fills ? `bad ${which} address (cut to fit the column? save with netstat -W)` : local ? 'bad foreign address' : 'bad local address (was it saved with -n?)', raw);
      if (fills) this.fullSkipped++;
      return;
    }
    // A tcp6 socket talking IPv4 (v4-mapped) is printed with IPv4 addresses, both of them.
    if (local.family !== peer.family || (proto === 'tcp' && local.family !== 4)) {
      skip.add(lineNo, proto === 'tcp' ? 'an IPv6 address on a tcp line' : 'local and foreign addresses of different families', raw);
      return;
    }
    // ss and /proc/net/tcp6 print such a socket's addresses v4-mapped: the same text here, so
    // that a destination has one name whichever dump it came from.
    const mapped = proto === 'tcp6' && local.family === 4 ? '::ffff:' : '';
    const record: SocketRecord = {
      family: proto === 'tcp6' ? 6 : 4,
      state,
      localAddress: mapped + local.address,
      localPort: local.port,
      remoteAddress: mapped + peer.address,
      remotePort: peer.port,
      inode: 0,
    };
    // -e: a user (a number with -n, else a name) and a number, where -p's column is
    // "PID/Program" or "-": a user has no '/' and is not "-".
    const user = w[6] ?? '';
    const extended = /^\d+$/.test(w[7] ?? '') && user !== '-' && !user.includes('/');
    this.socketLines++;
    if (extended) {
      this.inodeLines++;
      record.inode = Number(w[7]);
    }
    const program = w.slice(extended ? 8 : 6).join(' ');
    const owner = /^(\d+)\/(.*)$/.exec(program);
    if (owner) record.owners = [{ pid: Number(owner[1]), command: printable(owner[2] ?? '') }];
    else if (program === '-') record.owners = [];
    const row = this.sockets.add(record);
    // netstat prints /proc/net/tcp's queues: a listener's Recv-Q is its accept queue, and its
    // Send-Q (tx_queue) is not the backlog, which /proc does not give (socket.ts ListenQueue).
    if (state === 'LISTEN') this.sockets.listenQueues.set(row, { queued: Number(w[1]), backlog: null });
  }
}
