// The C names a packetdrill script uses, with their Linux x86-64 values (include/uapi/...),
// and errno numbers with glibc's strerror text, which packetdrill prints in its reports.

/** errno name -> [number, strerror text] (include/uapi/asm-generic/errno*.h, glibc). */
export const ERRNOS: Readonly<Record<string, readonly [number, string]>> = {
  EPERM: [1, 'Operation not permitted'],
  ENOENT: [2, 'No such file or directory'],
  EINTR: [4, 'Interrupted system call'],
  EBADF: [9, 'Bad file descriptor'],
  EAGAIN: [11, 'Resource temporarily unavailable'],
  EWOULDBLOCK: [11, 'Resource temporarily unavailable'],
  EFAULT: [14, 'Bad address'],
  EINVAL: [22, 'Invalid argument'],
  EPIPE: [32, 'Broken pipe'],
  ENOTSOCK: [88, 'Socket operation on non-socket'],
  ENOPROTOOPT: [92, 'Protocol not available'],
  EOPNOTSUPP: [95, 'Operation not supported'],
  EAFNOSUPPORT: [97, 'Address family not supported by protocol'],
  EADDRINUSE: [98, 'Address already in use'],
  EADDRNOTAVAIL: [99, 'Cannot assign requested address'],
  ENETUNREACH: [101, 'Network is unreachable'],
  ECONNABORTED: [103, 'Software caused connection abort'],
  ECONNRESET: [104, 'Connection reset by peer'],
  EISCONN: [106, 'Transport endpoint is already connected'],
  ENOTCONN: [107, 'Transport endpoint is not connected'],
  ETIMEDOUT: [110, 'Connection timed out'],
  ECONNREFUSED: [111, 'Connection refused'],
  EHOSTUNREACH: [113, 'No route to host'],
  EALREADY: [114, 'Operation already in progress'],
  EINPROGRESS: [115, 'Operation now in progress'],
};

export function errnoNumber(name: string): number | undefined {
  return ERRNOS[name]?.[0];
}

/** "111 (Connection refused)" as packetdrill prints an errno; "0 (Success)" for none. */
export function describeErrno(name: string | null): string {
  if (name === null) return '0 (Success)';
  const e = ERRNOS[name];
  return e ? `${e[0]} (${e[1]})` : name;
}

/** Integer constants a script may name. */
export const SYMBOLS: Readonly<Record<string, number>> = {
  // socket(2)
  AF_UNSPEC: 0,
  AF_INET: 2,
  AF_INET6: 10,
  PF_INET: 2,
  PF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_NONBLOCK: 0o4000,
  IPPROTO_IP: 0,
  IPPROTO_TCP: 6,
  // setsockopt levels and names
  SOL_SOCKET: 1,
  SOL_IP: 0,
  SOL_TCP: 6,
  SO_REUSEADDR: 2,
  SO_ERROR: 4,
  SO_KEEPALIVE: 9,
  SO_LINGER: 13,
  SO_REUSEPORT: 15,
  TCP_NODELAY: 1,
  TCP_LINGER2: 8,
  IP_BIND_ADDRESS_NO_PORT: 24,
  // fcntl(2)
  F_GETFL: 3,
  F_SETFL: 4,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_NONBLOCK: 0o4000,
  // shutdown(2)
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  // poll(2)
  POLLIN: 0x1,
  POLLPRI: 0x2,
  POLLOUT: 0x4,
  POLLERR: 0x8,
  POLLHUP: 0x10,
  POLLNVAL: 0x20,
  POLLRDNORM: 0x40,
  POLLRDBAND: 0x80,
  POLLWRNORM: 0x100,
  POLLWRBAND: 0x200,
  POLLRDHUP: 0x2000,
};

const POLL_ORDER = ['POLLIN', 'POLLPRI', 'POLLOUT', 'POLLERR', 'POLLHUP', 'POLLNVAL', 'POLLRDNORM', 'POLLRDBAND', 'POLLWRNORM', 'POLLWRBAND', 'POLLRDHUP'] as const;

/** poll flags as packetdrill's flags_to_string prints them: "POLLIN|POLLOUT", "0" for none. */
export function pollFlagsString(v: number): string {
  const names = POLL_ORDER.filter((n) => v & SYMBOLS[n]!);
  return names.length === 0 ? '0' : names.join('|');
}

/** include/net/tcp_states.h: tcpi_state values, as packetdrill's code preamble names them. */
export const TCP_STATE_VALUES: Readonly<Record<string, number>> = {
  TCP_ESTABLISHED: 1,
  TCP_SYN_SENT: 2,
  TCP_SYN_RECV: 3,
  TCP_FIN_WAIT1: 4,
  TCP_FIN_WAIT2: 5,
  TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7,
  TCP_CLOSE_WAIT: 8,
  TCP_LAST_ACK: 9,
  TCP_LISTEN: 10,
  TCP_CLOSING: 11,
  // tcpi_ca_state
  TCP_CA_Open: 0,
  TCP_CA_Disorder: 1,
  TCP_CA_CWR: 2,
  TCP_CA_Recovery: 3,
  TCP_CA_Loss: 4,
  // tcpi_options bits
  TCPI_OPT_TIMESTAMPS: 1,
  TCPI_OPT_SACK: 2,
  TCPI_OPT_WSCALE: 4,
  TCPI_OPT_ECN: 8,
  TCPI_OPT_ECN_SEEN: 16,
  TCPI_OPT_SYN_DATA: 32,
};
