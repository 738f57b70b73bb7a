// The netlink sock_diag messages inspect exchanges with the kernel (what `ss` uses): the
// dump requests, and the replies -> socket records, read straight off the bytes. Pure:
// netlink.ts does the socket calls; the tests feed captured replies.
//
// Two requests ask for every TCP socket. SOCK_DIAG_BY_FAMILY (inet_diag_req_v2, 3.3 on)
// names one family, so IPv4 and IPv6 take two dumps, and the kernel walks its whole
// established hash for each (measured: ~6 ms of ~37 at 100 000 IPv4 TIME_WAIT, skipping
// them all for IPv6). TCPDIAG_GETSOCK (inet_diag_req, the request before 3.3, still served) is
// dumped for both families in one walk; its replies are inet_diag_msg as well, with that
// message type.
//
// Layouts from the kernel's UAPI headers (the ABI, fixed since 3.3):
//
//   linux/netlink.h  struct nlmsghdr (16 bytes, host byte order)
//      0 u32 nlmsg_len (header included)   4 u16 nlmsg_type   6 u16 nlmsg_flags
//      8 u32 nlmsg_seq                      12 u32 nlmsg_pid
//   Messages are padded to 4 bytes (NLMSG_ALIGN); a datagram holds whole messages.
//   NLMSG_ERROR carries struct nlmsgerr { int error; ... }, error = -errno (0 is an ACK);
//   NLMSG_DONE ends a dump and carries an int, negative when the dump failed.
//
//   linux/inet_diag.h  struct inet_diag_req (60 bytes), after a TCPDIAG_GETSOCK header
//      0 u8 idiag_family   1 u8 idiag_src_len   2 u8 idiag_dst_len   3 u8 idiag_ext
//      4 struct inet_diag_sockid (48 bytes)    52 u32 idiag_states   56 u32 idiag_dbs
//
//   linux/inet_diag.h  struct inet_diag_req_v2 (56 bytes), after a SOCK_DIAG_BY_FAMILY header
//      0 u8 sdiag_family   1 u8 sdiag_protocol   2 u8 idiag_ext   3 u8 pad
//      4 u32 idiag_states (bit 1 << state)        8 struct inet_diag_sockid (48 bytes)
//
//   linux/inet_diag.h  struct inet_diag_msg (72 bytes), after the header; attributes follow
//      0 u8 idiag_family   1 u8 idiag_state   2 u8 idiag_timer   3 u8 idiag_retrans
//      4 struct inet_diag_sockid:
//          4 __be16 sport   6 __be16 dport   8 __be32 src[4]   24 __be32 dst[4]
//          40 u32 if        44 u32 cookie[2]
//      52 u32 idiag_expires   56 u32 idiag_rqueue   60 u32 idiag_wqueue
//      64 u32 idiag_uid       68 u32 idiag_inode
//   For a LISTEN socket idiag_rqueue is the accept queue (sk_ack_backlog) and idiag_wqueue the
//   backlog (sk_max_ack_backlog): tcp_diag.c tcp_diag_get_info; kept for those rows alone.
//   An IPv4 socket fills src[0] and dst[0]; an IPv6 socket all 16 bytes (IPv4-mapped as
//   ::ffff:a.b.c.d). idiag_state is the kernel's TCP state number (include/net/tcp_states.h),
//   the same as /proc/net/tcp prints; a timewait socket reports its substate (TIME_WAIT, or
//   FIN_WAIT_2 for an orphan) and inode 0, as /proc does.
//
// Bound, not listening sockets. Since 6.8 (commit 91051f003948) a request whose state mask
// has TCPF_BOUND_INACTIVE also gets the sockets bind() left neither listening nor connecting
// (tcp_diag.c tcp_diag_dump walks the bind hash for them), reported in TCP_CLOSE. No other
// socket comes back in TCP_CLOSE: tcp_set_state unhashes a socket before it stores
// TCP_CLOSE, so the listening and established walks never meet one. ss -tan (iproute2 6.1)
// does not ask for that bit and /proc/net/tcp does not walk the bind hash, so neither shows
// them; the reader keeps them apart (SocketTable.boundInactive), out of every state's count,
// and analyze.ts counts their ports as held. One dump still gives them: asking for the bit
// costs a walk of the bind hash, asking for them alone would cost another walk of the
// established hash.

import { ipv4Text, ipv6Text } from './address.js';
import { SkipLog, SocketTable, STATE_INDEX, STATE_INDEX_BY_CODE, stateIndexOfCode, type Family } from './socket.js';

/** linux/netlink.h, linux/sock_diag.h, linux/inet_diag.h, linux/socket.h, linux/in.h. */
export const NETLINK_SOCK_DIAG = 4;
export const SOCK_DIAG_BY_FAMILY = 20;
export const TCPDIAG_GETSOCK = 18;
const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
const IPPROTO_TCP = 6;
const NLMSG_NOOP = 1;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
/** NLM_F_ROOT | NLM_F_MATCH: every socket that matches, not one. */
const NLM_F_DUMP = 0x300;

const NLMSG_HDRLEN = 16;
const INET_DIAG_REQ_LEN = 60;
const INET_DIAG_REQ_V2_LEN = 56;
const INET_DIAG_MSG_LEN = 72;

/** Every state bit: LISTEN, request sockets (TCP_NEW_SYN_RECV), timewait sockets and, 6.8 on, TCPF_BOUND_INACTIVE included. */
const ALL_STATES = 0xffffffff;
/** TCP_CLOSE's index: what a bound-inactive socket reports (see the top of this file). */
const CLOSE = STATE_INDEX.CLOSE;
/** TCP_LISTEN's index: the rows whose queues are kept. */
const LISTEN = STATE_INDEX.LISTEN;

/** A dump request: the header, then `body` bytes of request (no attributes, no bytecode filter). */
function request(type: number, body: number, seq: number, littleEndian: boolean): { b: Uint8Array; v: DataView } {
  const b = new Uint8Array(NLMSG_HDRLEN + body);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, littleEndian);
  v.setUint16(4, type, littleEndian);
  v.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, littleEndian);
  v.setUint32(8, seq, littleEndian);
  return { b, v };
}

/** TCPDIAG_GETSOCK: every TCP socket of both families in one dump, no extensions. */
export function bothFamiliesRequest(seq: number, littleEndian: boolean): Uint8Array {
  const { b, v } = request(TCPDIAG_GETSOCK, INET_DIAG_REQ_LEN, seq, littleEndian);
  b[NLMSG_HDRLEN] = AF_UNSPEC; // every family; kernels since 3.3 read the request so whatever it says
  v.setUint32(NLMSG_HDRLEN + 52, ALL_STATES, littleEndian);
  return b;
}

/** SOCK_DIAG_BY_FAMILY: one family's TCP sockets, no extensions (idiag_ext 0). */
export function familyRequest(family: typeof AF_INET | typeof AF_INET6, seq: number, littleEndian: boolean): Uint8Array {
  const { b, v } = request(SOCK_DIAG_BY_FAMILY, INET_DIAG_REQ_V2_LEN, seq, littleEndian);
  b[NLMSG_HDRLEN] = family;
  b[NLMSG_HDRLEN + 1] = IPPROTO_TCP;
  v.setUint32(NLMSG_HDRLEN + 4, ALL_STATES, littleEndian);
  return b;
}

/** Where a dump stands after some replies. */
export type DumpStatus =
  | { kind: 'more' }
  | { kind: 'done' }
  /** The kernel refused or failed the dump: errno is positive (EPERM, EINVAL ...). */
  | { kind: 'error'; errno: number };

/**
 * Reads the replies to dump requests into a table, datagram by datagram (feed), keeping the
 * address numbers of earlier ones: a busy host has many sockets and few addresses. A message
 * that cannot be read is skipped and counted, with the rest of its datagram when its length
 * cannot be trusted; it never throws.
 */
/** Where an address sits in inet_diag_sockid, for the last-address cache. */
const LOCAL = 0;
const REMOTE = 1;

export class SockDiagReader {
  readonly sockets: SocketTable;
  readonly skipped = new SkipLog();
  /** Messages seen, for the numbers in skipped examples. */
  private messages = 0;
  /** Address numbers in the table by the address's bytes. */
  private readonly v4 = new Map<number, number>();
  private readonly v6 = new Map<string, number>();
  /**
   * The last address read at each place (LOCAL, REMOTE): most sockets share their local
   * address, and many their remote one, so most lookups end here. Its family (0 before the
   * first), IPv4 value or IPv6 bytes, and number.
   */
  private readonly lastFamily = new Uint8Array(2);
  private readonly lastV4 = new Int32Array(2);
  private readonly lastV6 = new Uint8Array(32);
  private readonly lastId = new Int32Array(2);
  private readonly words = [0, 0, 0, 0, 0, 0, 0, 0];

  /** capacity: rows to make room for at first (the table grows past it). */
  constructor(
    private readonly littleEndian: boolean,
    capacity?: number,
  ) {
    this.sockets = new SocketTable(capacity);
  }

  /** Reads one datagram (or several, concatenated: each holds whole, aligned messages). */
  feed(b: Uint8Array, length = b.length): DumpStatus {
    const le = this.littleEndian;
    const v = new DataView(b.buffer, b.byteOffset, length);
    const { sockets, lastFamily, lastV4, lastId } = this;
    for (let off = 0; off < length; ) {
      this.messages++;
      if (length - off < NLMSG_HDRLEN) {
        this.skip('truncated netlink header', b, off, length);
        break;
      }
      const len = v.getUint32(off, le);
      const type = v.getUint16(off + 4, le);
      if (len < NLMSG_HDRLEN || len > length - off) {
        // The length is wrong, so where the next message starts is unknown.
        this.skip(`netlink length ${len} does not fit the ${length - off} bytes left`, b, off, length);
        break;
      }
      const body = off + NLMSG_HDRLEN;
      const next = off + ((len + 3) & ~3);
      if (type === SOCK_DIAG_BY_FAMILY || type === TCPDIAG_GETSOCK) {
        const state = STATE_INDEX_BY_CODE[b[body + 1] as number] as number;
        if (len >= NLMSG_HDRLEN + INET_DIAG_MSG_LEN && b[body] === AF_INET && state >= 0 && state !== CLOSE) {
          // socket() and address() for the common case, inline: IPv4, both addresses those of
          // the last socket. inspect reads 100 000s of these once, mostly before V8 has
          // optimised this loop, and calls cost most there.
          const lv = v.getInt32(body + 8);
          const rv = v.getInt32(body + 24);
          const local = lastFamily[LOCAL] === 4 && lastV4[LOCAL] === lv ? (lastId[LOCAL] as number) : this.address(b, v, body + 8, 4, LOCAL);
          const remote = lastFamily[REMOTE] === 4 && lastV4[REMOTE] === rv ? (lastId[REMOTE] as number) : this.address(b, v, body + 24, 4, REMOTE);
          const localPort = ((b[body + 4] as number) << 8) | (b[body + 5] as number);
          const remotePort = ((b[body + 6] as number) << 8) | (b[body + 7] as number);
          const row = sockets.push(4, state, local, localPort, remote, remotePort, v.getUint32(body + 68, le));
          if (state === LISTEN) this.listenQueue(v, body, row);
        } else {
          this.socket(b, v, body, off + len, off);
        }
      } else if (type === NLMSG_DONE) {
        const code = len >= NLMSG_HDRLEN + 4 ? v.getInt32(body, le) : 0;
        return code < 0 ? { kind: 'error', errno: -code } : { kind: 'done' };
      } else if (type === NLMSG_ERROR) {
        const code = len >= NLMSG_HDRLEN + 4 ? v.getInt32(body, le) : 0;
        if (code < 0) return { kind: 'error', errno: -code };
      } else if (type !== NLMSG_NOOP) this.skip(`unexpected netlink message type ${type}`, b, off, off + len);
      off = next;
    }
    return { kind: 'more' };
  }

  /** One inet_diag_msg at [p, end); v reads the same bytes (ports big-endian, DataView's default). */
  private socket(b: Uint8Array, v: DataView, p: number, end: number, start: number): void {
    if (end - p < INET_DIAG_MSG_LEN) {
      this.skip(`inet_diag_msg of ${end - p} bytes, expected ${INET_DIAG_MSG_LEN}`, b, start, end);
      return;
    }
    const family = b[p] === AF_INET ? 4 : b[p] === AF_INET6 ? 6 : 0;
    if (family === 0) {
      this.skip(`address family ${b[p]}`, b, start, end);
      return;
    }
    const state = stateIndexOfCode(b[p + 1] as number);
    if (state < 0) {
      this.skip(`unknown state code ${b[p + 1]}`, b, start, end);
      return;
    }
    const local = this.address(b, v, p + 8, family, LOCAL);
    if (state === CLOSE) {
      this.sockets.boundInactive.push({ family, localAddress: local, localPort: v.getUint16(p + 4) });
      return;
    }
    const remote = this.address(b, v, p + 24, family, REMOTE);
    const row = this.sockets.push(family, state, local, v.getUint16(p + 4), remote, v.getUint16(p + 6), v.getUint32(p + 68, this.littleEndian));
    if (state === LISTEN) this.listenQueue(v, p, row);
  }

  /** A LISTEN row's idiag_rqueue (accept queue) and idiag_wqueue (backlog), from the message at p. */
  private listenQueue(v: DataView, p: number, row: number): void {
    this.sockets.listenQueues.set(row, { queued: v.getUint32(p + 56, this.littleEndian), backlog: v.getUint32(p + 60, this.littleEndian) });
  }

  /** The number in the table of the address at p (network byte order), as ss prints it. */
  private address(b: Uint8Array, v: DataView, p: number, family: Family, place: typeof LOCAL | typeof REMOTE): number {
    if (family === 4) {
      const value = v.getInt32(p);
      if (this.lastFamily[place] === 4 && this.lastV4[place] === value) return this.lastId[place] as number;
      let id = this.v4.get(value);
      if (id === undefined) {
        id = this.sockets.addressId(ipv4Text(b[p] as number, b[p + 1] as number, b[p + 2] as number, b[p + 3] as number));
        this.v4.set(value, id);
      }
      this.lastFamily[place] = 4;
      this.lastV4[place] = value;
      return (this.lastId[place] = id);
    }
    const last = place * 16;
    if (this.lastFamily[place] === 6) {
      let same = true;
      for (let i = 0; i < 16 && same; i++) same = this.lastV6[last + i] === b[p + i];
      if (same) return this.lastId[place] as number;
    }
    let key = '';
    for (let i = 0; i < 16; i++) key += String.fromCharCode(b[p + i] as number);
    let id = this.v6.get(key);
    if (id === undefined) {
      for (let i = 0; i < 8; i++) this.words[i] = ((b[p + 2 * i] as number) << 8) | (b[p + 2 * i + 1] as number);
      id = this.sockets.addressId(ipv6Text(this.words));
      this.v6.set(key, id);
    }
    this.lastFamily[place] = 6;
    this.lastV6.set(b.subarray(p, p + 16), last);
    return (this.lastId[place] = id);
  }

  /** A message has no text: its first bytes in hex stand for it, its number for the line. */
  private skip(reason: string, b: Uint8Array, start: number, end: number): void {
    const shown = Array.from(b.subarray(start, Math.min(end, start + 40)), (x) => x.toString(16).padStart(2, '0')).join(' ');
    this.skipped.add(this.messages, reason, shown);
  }
}
