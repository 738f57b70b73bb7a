// The netlink sock_diag messages inspect exchanges with the kernel (what `ss` uses): the
// dump request for one address family, and the replies -> socket records, read straight
// off the bytes. Pure: netlink.ts does the socket calls; the tests feed captured replies.
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
//   linux/inet_diag.h  struct inet_diag_req_v2 (56 bytes), after the header
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
//   An IPv4 socket fills src[0] and dst[0]; an IPv6 socket all 16 bytes (IPv4-mapped as
//   ::ffff:a.b.c.d). idiag_state is the kernel's TCP state number (include/net/tcp_states.h),
//   the same as /proc/net/tcp prints; a timewait socket reports its substate (TIME_WAIT, or
//   FIN_WAIT_2 for an orphan) and inode 0, as /proc does.

import { ipv4Text, ipv6Text } from './address.js';
import { SkipLog, stateOfCode, type Family, type SocketRecord } from './socket.js';

/** linux/netlink.h, linux/sock_diag.h, linux/socket.h, linux/in.h. */
export const NETLINK_SOCK_DIAG = 4;
export const SOCK_DIAG_BY_FAMILY = 20;
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
const INET_DIAG_REQ_V2_LEN = 56;
const INET_DIAG_MSG_LEN = 72;
/** The request: one header and one inet_diag_req_v2, no attributes (no bytecode filter). */
export const REQUEST_LEN = NLMSG_HDRLEN + INET_DIAG_REQ_V2_LEN;

/** Every state bit: LISTEN, request sockets (TCP_NEW_SYN_RECV) and timewait sockets included. */
const ALL_STATES = 0xffffffff;

/** The dump request for one family's TCP sockets, with no extensions (idiag_ext 0). */
export function dumpRequest(family: typeof AF_INET | typeof AF_INET6, seq: number, littleEndian: boolean): Uint8Array {
  const b = new Uint8Array(REQUEST_LEN);
  const v = new DataView(b.buffer);
  v.setUint32(0, REQUEST_LEN, littleEndian);
  v.setUint16(4, SOCK_DIAG_BY_FAMILY, littleEndian);
  v.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, littleEndian);
  v.setUint32(8, seq, littleEndian);
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
 * Reads replies to one dump request into records, datagram by datagram (feed), keeping the
 * address texts of earlier ones: a busy host has many sockets and few addresses. A message
 * that cannot be read is skipped and counted, with the rest of its datagram when its length
 * cannot be trusted; it never throws.
 */
export class SockDiagReader {
  readonly sockets: SocketRecord[] = [];
  readonly skipped = new SkipLog();
  /** Messages seen, for the numbers in skipped examples. */
  private messages = 0;
  private readonly v4 = new Map<number, string>();
  private readonly v6 = new Map<string, string>();
  private readonly words = [0, 0, 0, 0, 0, 0, 0, 0];

  constructor(private readonly littleEndian: boolean) {}

  /** Reads one datagram (or several, concatenated: each holds whole, aligned messages). */
  feed(b: Uint8Array, length = b.length): DumpStatus {
    const le = this.littleEndian;
    for (let off = 0; off < length; ) {
      this.messages++;
      if (length - off < NLMSG_HDRLEN) {
        this.skip('truncated netlink header', b, off, length);
        break;
      }
      const len = u32(b, off, le);
      const type = u16(b, off + 4, le);
      if (len < NLMSG_HDRLEN || len > length - off) {
        // The length is wrong, so where the next message starts is unknown.
        this.skip(`netlink length ${len} does not fit the ${length - off} bytes left`, b, off, length);
        break;
      }
      const body = off + NLMSG_HDRLEN;
      const next = off + ((len + 3) & ~3);
      if (type === SOCK_DIAG_BY_FAMILY) this.socket(b, body, off + len, off);
      else if (type === NLMSG_DONE) {
        const code = len >= NLMSG_HDRLEN + 4 ? i32(b, body, le) : 0;
        return code < 0 ? { kind: 'error', errno: -code } : { kind: 'done' };
      } else if (type === NLMSG_ERROR) {
        const code = len >= NLMSG_HDRLEN + 4 ? i32(b, body, le) : 0;
        if (code < 0) return { kind: 'error', errno: -code };
      } else if (type !== NLMSG_NOOP) this.skip(`unexpected netlink message type ${type}`, b, off, off + len);
      off = next;
    }
    return { kind: 'more' };
  }

  /** One inet_diag_msg at [p, end). */
  private socket(b: Uint8Array, p: number, end: number, start: number): void {
    if (end - p < INET_DIAG_MSG_LEN) {
      this.skip(`inet_diag_msg of ${end - p} bytes, expected ${INET_DIAG_MSG_LEN}`, b, start, end);
      return;
    }
    const family = b[p] === AF_INET ? 4 : b[p] === AF_INET6 ? 6 : 0;
    if (family === 0) {
      this.skip(`address family ${b[p]}`, b, start, end);
      return;
    }
    const state = stateOfCode(b[p + 1] as number);
    if (state === undefined) {
      this.skip(`unknown state code ${b[p + 1]}`, b, start, end);
      return;
    }
    this.sockets.push({
      family,
      state,
      localAddress: this.address(b, p + 8, family),
      localPort: ((b[p + 4] as number) << 8) | (b[p + 5] as number),
      remoteAddress: this.address(b, p + 24, family),
      remotePort: ((b[p + 6] as number) << 8) | (b[p + 7] as number),
      inode: u32(b, p + 68, this.littleEndian),
    });
  }

  /** The address at p (network byte order) as ss prints it. */
  private address(b: Uint8Array, p: number, family: Family): string {
    if (family === 4) {
      const key = u32(b, p, false);
      let s = this.v4.get(key);
      if (s === undefined) {
        s = ipv4Text(b[p] as number, b[p + 1] as number, b[p + 2] as number, b[p + 3] as number);
        this.v4.set(key, s);
      }
      return s;
    }
    let key = '';
    for (let i = 0; i < 16; i++) key += String.fromCharCode(b[p + i] as number);
    let s = this.v6.get(key);
    if (s === undefined) {
      for (let i = 0; i < 8; i++) this.words[i] = ((b[p + 2 * i] as number) << 8) | (b[p + 2 * i + 1] as number);
      s = ipv6Text(this.words);
      this.v6.set(key, s);
    }
    return s;
  }

  /** A message has no text: its first bytes in hex stand for it, its number for the line. */
  private skip(reason: string, b: Uint8Array, start: number, end: number): void {
    const shown = Array.from(b.subarray(start, Math.min(end, start + 40)), (x) => x.toString(16).padStart(2, '0')).join(' ');
    this.skipped.add(this.messages, reason, shown);
  }
}

function u16(b: Uint8Array, p: number, le: boolean): number {
  return le ? (b[p] as number) | ((b[p + 1] as number) << 8) : ((b[p] as number) << 8) | (b[p + 1] as number);
}

function i32(b: Uint8Array, p: number, le: boolean): number {
  return le
    ? (b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)
    : ((b[p] as number) << 24) | ((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number);
}

function u32(b: Uint8Array, p: number, le: boolean): number {
  return i32(b, p, le) >>> 0;
}
