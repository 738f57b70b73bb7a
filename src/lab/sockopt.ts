// Socket options Node's `net` does not offer, through the C library (koffi, an optional
// dependency): SO_REUSEADDR left off or set without bind(), SO_REUSEPORT and
// IP_BIND_ADDRESS_NO_PORT on a connecting socket, SO_LINGER with a timeout. Used only by
// lab agents, only when a scenario asks for one of these; without koffi the plan refuses
// those keys by name (plan.ts).
//
// A client socket is made here (socket, setsockopt, bind) and handed to Node as
// `new net.Socket({ fd })`, which then connect()s it like any other.

import { errnoName, loadLibc } from '../sys/libc.js';

/** Linux x86-64/arm64 values (include/uapi/asm-generic/socket.h, linux/in.h, bits/socket_type.h). */
const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_LINGER = 13;
const SO_REUSEPORT = 15;
const IPPROTO_IP = 0;
const IP_BIND_ADDRESS_NO_PORT = 24;

export interface ClientSocketOptions {
  reuseaddr: boolean;
  reuseport: boolean;
  bindAddressNoPort: boolean;
  bind: { address: string; port: number } | null;
}

export interface SockOpts {
  /** A non-blocking TCP socket with the options set (and bound when asked), or the errno of the call that failed. */
  clientSocket(o: ClientSocketOptions): { fd: number } | { errno: string; call: string };
  /** SO_LINGER {1, seconds}. */
  setLinger(fd: number, seconds: number): void;
}

/** The FFI, or null when the optional dependency is not installed (or cannot load here). */
export async function loadSockOpts(): Promise<SockOpts | null> {
  const libc = loadLibc();
  if (typeof libc === 'string') return null;
  const socket = libc.func('int socket(int domain, int type, int protocol)');
  const setsockopt = libc.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)');
  const bind = libc.func('int bind(int fd, const void *addr, uint32_t len)');
  const close = libc.func('int close(int fd)');

  const intOpt = (fd: number, level: number, name: number, v: number): boolean => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    return setsockopt(fd, level, name, b, 4) === 0;
  };

  return {
    clientSocket(o) {
      const fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) return { errno: errnoName(libc.errno()), call: 'socket' };
      const fail = (call: string): { errno: string; call: string } => {
        const e = errnoName(libc.errno());
        close(fd);
        return { errno: e, call };
      };
      if (o.reuseaddr && !intOpt(fd, SOL_SOCKET, SO_REUSEADDR, 1)) return fail('setsockopt(SO_REUSEADDR)');
      if (o.reuseport && !intOpt(fd, SOL_SOCKET, SO_REUSEPORT, 1)) return fail('setsockopt(SO_REUSEPORT)');
      if (o.bindAddressNoPort && !intOpt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)) return fail('setsockopt(IP_BIND_ADDRESS_NO_PORT)');
      if (o.bind !== null && bind(fd, sockaddrIn(o.bind.address, o.bind.port), 16) !== 0) return fail('bind');
      return { fd };
    },
    setLinger(fd, seconds) {
      const b = Buffer.alloc(8); // struct linger { int l_onoff; int l_linger; }
      b.writeInt32LE(1, 0);
      b.writeInt32LE(seconds, 4);
      if (setsockopt(fd, SOL_SOCKET, SO_LINGER, b, 8) !== 0) throw new Error(`setsockopt(SO_LINGER): ${errnoName(libc.errno())}`);
    },
  };
}

/** struct sockaddr_in: family (host order), port and address (network order), 8 bytes of zero. */
export function sockaddrIn(address: string, port: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  address.split('.').forEach((part, i) => b.writeUInt8(Number(part), 4 + i));
  return b;
}
