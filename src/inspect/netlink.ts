// The live socket list from the kernel's netlink sock_diag interface, as `ss` reads it
// (docs/inspect.md says why it is inspect's first choice). Node has no netlink socket, so
// the C library's socket/send/recv are called through koffi, an optional dependency
// (src/sys/libc.ts, shared with lab's socket options). One NETLINK_SOCK_DIAG socket; one
// TCPDIAG_GETSOCK dump for both families (one walk of the kernel's tables), or where the
// kernel refuses it, one SOCK_DIAG_BY_FAMILY dump per family (sock-diag.ts says why); the
// replies read into one reused buffer and parsed as they arrive. Anything that stops it
// is returned as a reason, and the caller reads /proc/net/tcp instead.

import { constants, endianness } from 'node:os';
import { errnoName, loadLibc } from '../sys/libc.js';
import { AF_INET, AF_INET6, bothFamiliesRequest, familyRequest, NETLINK_SOCK_DIAG, SockDiagReader } from './sock-diag.js';
import type { Parsed } from './socket.js';

/** linux/socket.h, linux/net.h (x86-64, arm64), bits/socket.h. */
const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
/** recv() returns a datagram's real length even when it is longer than the buffer. */
const MSG_TRUNC = 0x20;

/** Far above the datagrams a dump comes in (~32 KiB each here, ~300 for 100 000 sockets). */
const RECV_BUFFER = 1 << 20;

/** What netlink.ts names the source in the report and the JSON (`sockets_from`). */
export const NETLINK_SOURCE = 'netlink sock_diag';

/** The calls a dump needs, bound once per process. */
interface NetlinkCalls {
  socket(domain: number, type: number, protocol: number): number;
  send(fd: number, buf: Uint8Array, len: number, flags: number): number;
  recv(fd: number, buf: Uint8Array, len: number, flags: number): number;
  close(fd: number): number;
  errno(): number;
}

let calls: NetlinkCalls | string | undefined;
let buffer: Buffer | undefined;

function netlinkCalls(): NetlinkCalls | string {
  if (calls !== undefined) return calls;
  const c = loadLibc();
  if (typeof c === 'string') return (calls = c);
  return (calls = {
    socket: c.func('int socket(int domain, int type, int protocol)'),
    send: c.func('long send(int fd, const void *buf, size_t len, int flags)'),
    recv: c.func('long recv(int fd, void *buf, size_t len, int flags)'),
    close: c.func('int close(int fd)'),
    errno: c.errno,
  });
}

export interface NetlinkOptions {
  /** Ask one SOCK_DIAG_BY_FAMILY dump per family without trying TCPDIAG_GETSOCK first. */
  perFamily?: boolean;
  /** About how many sockets to expect (from /proc/net/sockstat), to size the table once. */
  expected?: number;
  /** Sees each reply datagram as it arrives, with the request it answers (test/inspect/sock-diag-capture.ts saves them). */
  onReply?: (request: DumpName, datagram: Uint8Array) => void;
}

export type DumpName = 'TCPDIAG_GETSOCK' | 'AF_INET' | 'AF_INET6';

/** Every TCP socket of this network namespace, or why netlink could not give them. */
export function readNetlinkSockets(options: NetlinkOptions = {}): Parsed | { failed: string } {
  const c = netlinkCalls();
  if (typeof c === 'string') return { failed: c };
  const fd = c.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return { failed: `socket(AF_NETLINK, NETLINK_SOCK_DIAG): ${errnoName(c.errno())}` };
  const littleEndian = endianness() === 'LE';
  const dump = (name: DumpName, request: Uint8Array, reader: SockDiagReader): DumpOutcome => dumpInto(c, fd, name, request, reader, options);
  try {
    let reader = new SockDiagReader(littleEndian, options.expected);
    let outcome = options.perFamily ? undefined : dump('TCPDIAG_GETSOCK', bothFamiliesRequest(1, littleEndian), reader);
    if (outcome === undefined || 'refused' in outcome) {
      // Refused (a kernel or a filter that serves only the current request): one dump per family.
      reader = new SockDiagReader(littleEndian, options.expected);
      outcome = dump('AF_INET', familyRequest(AF_INET, 2, littleEndian), reader);
      if ('done' in outcome) outcome = dump('AF_INET6', familyRequest(AF_INET6, 3, littleEndian), reader);
    }
    if ('refused' in outcome) return { failed: `the kernel refused the ${outcome.name} dump: ${errnoName(outcome.refused)}` };
    if ('failed' in outcome) return outcome;
    return { sockets: reader.sockets, skipped: reader.skipped.count, examples: reader.skipped.examples };
  } finally {
    c.close(fd);
  }
}

type DumpOutcome = { done: true } | { refused: number; name: DumpName } | { failed: string };

/** Sends one dump request and reads its replies into the reader, until NLMSG_DONE or an error. */
function dumpInto(c: NetlinkCalls, fd: number, name: DumpName, request: Uint8Array, reader: SockDiagReader, options: NetlinkOptions): DumpOutcome {
  if (c.send(fd, request, request.length, 0) !== request.length) return { failed: `send(${name} dump request): ${errnoName(c.errno())}` };
  const buf = (buffer ??= Buffer.allocUnsafe(RECV_BUFFER));
  for (;;) {
    const n = c.recv(fd, buf, buf.length, MSG_TRUNC);
    if (n < 0) {
      const errno = c.errno();
      if (errno === constants.errno.EINTR) continue;
      return { failed: `recv(${name} dump): ${errnoName(errno)}` };
    }
    if (n === 0 || n > buf.length) return { failed: `recv(${name} dump): a reply of ${n} bytes` };
    options.onReply?.(name, buf.subarray(0, n));
    const status = reader.feed(buf, n);
    if (status.kind === 'done') return { done: true };
    if (status.kind === 'error') return { refused: status.errno, name };
  }
}
