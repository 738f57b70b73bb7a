// The live socket list from the kernel's netlink sock_diag interface, as `ss` reads it
// (docs/inspect.md says why it is inspect's first choice). Node has no netlink socket, so
// the C library's socket/send/recv are called through koffi, an optional dependency (as
// src/lab/sockopt.ts does for socket options). One NETLINK_SOCK_DIAG socket, one dump
// request per family (IPv4, then IPv6), the replies read into one reused buffer and parsed
// as they arrive (sock-diag.ts). Anything that stops it is returned as a reason, and the
// caller reads /proc/net/tcp instead.

import { createRequire } from 'node:module';
import { constants, endianness } from 'node:os';
import { AF_INET, AF_INET6, dumpRequest, NETLINK_SOCK_DIAG, REQUEST_LEN, SockDiagReader } from './sock-diag.js';
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

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  send(fd: number, buf: Uint8Array, len: number, flags: number): number;
  recv(fd: number, buf: Uint8Array, len: number, flags: number): number;
  close(fd: number): number;
  errno(): number;
}

interface KoffiLike {
  load(path: string): { func(signature: string): (...args: never[]) => number };
  errno(): number;
}

/** The C library through koffi, or why it cannot be had; loaded once per process. */
let libc: Libc | string | undefined;
let buffer: Buffer | undefined;

function loadLibc(): Libc | string {
  if (libc !== undefined) return libc;
  if (process.platform !== 'linux') return (libc = 'netlink is Linux only');
  let koffi: KoffiLike;
  try {
    // Synchronous (koffi ships CommonJS), so readHost stays synchronous.
    koffi = createRequire(import.meta.url)('koffi') as KoffiLike;
  } catch {
    return (libc = 'the optional dependency koffi is not installed (npm install koffi)');
  }
  try {
    const c = koffi.load('libc.so.6');
    libc = {
      socket: c.func('int socket(int domain, int type, int protocol)') as Libc['socket'],
      send: c.func('long send(int fd, const void *buf, size_t len, int flags)') as Libc['send'],
      recv: c.func('long recv(int fd, void *buf, size_t len, int flags)') as Libc['recv'],
      close: c.func('int close(int fd)') as Libc['close'],
      errno: () => koffi.errno(),
    };
  } catch (e) {
    libc = `koffi cannot call the C library here (${e instanceof Error ? e.message : String(e)})`;
  }
  return libc;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

function errnoName(n: number): string {
  return ERRNO_NAMES.get(n) ?? `errno ${n}`;
}

export interface NetlinkOptions {
  /** Sees each reply datagram as it arrives (test/inspect/sock-diag-capture.ts saves them). */
  onReply?: (family: typeof AF_INET | typeof AF_INET6, datagram: Uint8Array) => void;
}

/** Every TCP socket of this network namespace, or why netlink could not give them. */
export function readNetlinkSockets(options: NetlinkOptions = {}): Parsed | { failed: string } {
  const c = loadLibc();
  if (typeof c === 'string') return { failed: c };
  const fd = c.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return { failed: `socket(AF_NETLINK, NETLINK_SOCK_DIAG): ${errnoName(c.errno())}` };
  const buf = (buffer ??= Buffer.allocUnsafe(RECV_BUFFER));
  const littleEndian = endianness() === 'LE';
  const reader = new SockDiagReader(littleEndian);
  try {
    for (const [seq, family] of ([AF_INET, AF_INET6] as const).entries()) {
      const name = family === AF_INET ? 'AF_INET' : 'AF_INET6';
      if (c.send(fd, dumpRequest(family, seq + 1, littleEndian), REQUEST_LEN, 0) !== REQUEST_LEN) {
        return { failed: `send(${name} dump request): ${errnoName(c.errno())}` };
      }
      for (;;) {
        const n = c.recv(fd, buf, buf.length, MSG_TRUNC);
        if (n < 0) {
          const errno = c.errno();
          if (errno === constants.errno.EINTR) continue;
          return { failed: `recv(${name} dump): ${errnoName(errno)}` };
        }
        if (n === 0 || n > buf.length) return { failed: `recv(${name} dump): a reply of ${n} bytes` };
        options.onReply?.(family, buf.subarray(0, n));
        const status = reader.feed(buf, n);
        if (status.kind === 'done') break;
        if (status.kind === 'error') return { failed: `the kernel refused the ${name} dump: ${errnoName(status.errno)}` };
      }
    }
  } finally {
    c.close(fd);
  }
  return { sockets: reader.sockets, skipped: reader.skipped.count, examples: reader.skipped.examples };
}
