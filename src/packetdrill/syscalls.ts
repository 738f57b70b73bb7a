// The system calls of the subset, carried out on the model's socket API. Each call returns
// its outcome (result, errno and any mismatch in what it filled in), or "block" with a retry:
// the runner re-tries a blocked call after every model event until it completes, which is
// when the socket event it waits for (connected, readable, acceptable, closed) has fired.

import type { Ipv4 } from '../net/addr.js';
import type { TcpHost } from '../tcp/host.js';
import type { TcpSocket } from '../tcp/socket.js';
import type { Expr, SyscallSpec } from './script.js';
import { ScriptError } from './script.js';
import { errnoNumber, pollFlagsString, SYMBOLS } from './symbols.js';

/** What a finished call gave: the C return value, errno, and a mismatch in its out-arguments. */
export interface Outcome {
  result: number;
  errno: string | null;
  /** getsockopt's value or poll's revents differing from the script ("Bad getsockopt optval..."). */
  mismatch: string | null;
}

export interface Blocked {
  kind: 'block';
  retry: () => Outcome | Blocked;
  /** Retry at this time even if no event fires (poll's timeout). */
  deadline?: number;
}

export type Attempt = Outcome | Blocked;

/** A call packetdrill itself refuses at run time ("runtime error in close call: ..."). */
export class SyscallFailure extends Error {
  override readonly name = 'SyscallFailure';
}

export function isBlocked(a: Attempt): a is Blocked {
  return 'kind' in a;
}

/** How packetdrill tracks a socket of the script (run_packet.c, socket.h struct socket). */
export type PdState =
  | 'new'
  | 'listening'
  | 'passive-packet-received'
  | 'passive-synack-sent'
  | 'passive-synack-acked'
  | 'active-connecting'
  | 'active-syn-sent'
  | 'active-syn-acked';

/** A socket as packetdrill sees it: its state and the script <-> live sequence mappings. */
export class PdSocket {
  scriptLocalIsn = 0;
  scriptRemoteIsn = 0;
  liveLocalIsn = 0;
  liveRemoteIsn = 0;
  /** Live 4-tuple (addresses are fixed): 0 = not known yet. */
  liveLocalPort = 0;
  liveRemotePort = 0;
  /** Script TS val -> the live TS val sent in its place (inbound TS ecr mapping). */
  readonly tsValMap = new Map<number, number>();
  firstTs: { script: number; live: number } | null = null;
  /** The script's fd for it, once socket() or accept() named one. */
  scriptFd = -1;
  /** The model's socket (a passive child gets it at accept()). */
  model: TcpSocket | null = null;
  /** close() was called on its fd. packetdrill keeps that mark when a later accept() hands
   *  the same socket a new fd (a 4-tuple reopened from TIME_WAIT), so that fd is unusable. */
  fdClosed = false;

  constructor(public state: PdState) {}
}

interface FdEntry {
  sock: TcpSocket;
  pd: PdSocket;
  nonblocking: boolean;
  /** struct socket's SS_CONNECTING / SS_CONNECTED (af_inet.c __inet_stream_connect). */
  ss: 'unconnected' | 'connecting' | 'connected';
}

/** What the syscalls need from the runner. */
export interface KernelContext {
  host: TcpHost;
  remoteAddr: Ipv4;
  connectPort: number;
  bindPort: number;
  /** socket(): a new socket is now the one under test. */
  socketCreated(pd: PdSocket): void;
  /** accept(): the packetdrill socket of a passive child, by its remote port. */
  childFor(rport: number): PdSocket | null;
}

export class Kernel {
  private readonly fds = new Map<number, FdEntry>();

  constructor(private readonly ctx: KernelContext) {}

  /** The open socket the script calls `fd`, or null. */
  socketOf(fd: number): TcpSocket | null {
    return this.fds.get(fd)?.sock ?? null;
  }

  isOpen(pd: PdSocket): boolean {
    return pd.scriptFd >= 0 && this.fds.get(pd.scriptFd)?.pd === pd;
  }

  call(spec: SyscallSpec, line: number): Attempt {
    const c = new Call(spec, line);
    switch (spec.name) {
      case 'socket':
        return this.socket(c);
      case 'setsockopt':
        return this.setsockopt(c);
      case 'getsockopt':
        return this.getsockopt(c);
      case 'bind':
        return this.bind(c);
      case 'listen':
        return this.listen(c);
      case 'accept':
        return this.accept(c);
      case 'connect':
        return this.connect(c);
      case 'read':
      case 'recv':
        return this.read(c);
      case 'write':
      case 'send':
        return this.write(c);
      case 'shutdown':
        return this.shutdown(c);
      case 'close':
        return this.close(c);
      case 'fcntl':
        return this.fcntl(c);
      case 'poll':
        return this.poll(c);
      default:
        throw new ScriptError(
          line,
          `${spec.name}() is outside the subset (socket, setsockopt, getsockopt, bind, listen, accept, connect, read, recv, write, send, shutdown, close, fcntl, poll)`,
        );
    }
  }

  private entry(c: Call, i = 0): FdEntry {
    const fd = c.int(i);
    const e = this.fds.get(fd);
    if (e === undefined) throw new SyscallFailure(`unable to find fd with script fd ${fd}`);
    return e;
  }

  private socket(c: Call): Attempt {
    c.count(3);
    const domain = c.arg(0);
    if (domain.kind !== 'ellipsis') {
      const d = c.int(0);
      if (d !== SYMBOLS['AF_INET'] && d !== SYMBOLS['AF_INET6']) throw new ScriptError(c.line, 'socket(): only AF_INET and AF_INET6 sockets are modelled');
    }
    const type = c.int(1);
    if ((type & ~SYMBOLS['SOCK_NONBLOCK']!) !== SYMBOLS['SOCK_STREAM']) throw new ScriptError(c.line, 'socket(): only SOCK_STREAM (TCP) sockets are modelled');
    const proto = c.int(2);
    if (proto !== 0 && proto !== SYMBOLS['IPPROTO_TCP']) throw new ScriptError(c.line, 'socket(): only IPPROTO_TCP is modelled');
    const fd = c.expectedResult();
    if (fd < 0) throw new ScriptError(c.line, `invalid socket fd ${fd} in script`);
    if (this.fds.has(fd)) throw new ScriptError(c.line, `duplicate fd ${fd} in script`);
    const sock = this.ctx.host.socket();
    const pd = new PdSocket('new');
    pd.scriptFd = fd;
    pd.model = sock;
    this.fds.set(fd, { sock, pd, nonblocking: (type & SYMBOLS['SOCK_NONBLOCK']!) !== 0, ss: 'unconnected' });
    this.ctx.socketCreated(pd);
    return ok(fd);
  }

  private setsockopt(c: Call): Attempt {
    c.count(5);
    const e = this.entry(c);
    const level = c.int(1);
    const name = c.word(2);
    const val = c.arg(3);
    const int = (): number => {
      if (val.kind !== 'list' || val.items.length !== 1) throw new ScriptError(c.line, `setsockopt(${name}): the value is written [N]`);
      return c.value(val.items[0]!);
    };
    switch (name) {
      case 'SO_REUSEADDR':
        e.sock.setReuseAddr(int() !== 0);
        return ok(0);
      case 'SO_REUSEPORT':
        e.sock.setReusePort(int() !== 0);
        return ok(0);
      case 'SO_LINGER': {
        if (val.kind !== 'linger') throw new ScriptError(c.line, 'setsockopt(SO_LINGER): the value is written {onoff=1, linger=0}');
        e.sock.setLinger(val.onoff !== 0 ? { on: true, timeout: Math.max(val.linger, 0) * 1_000_000 } : { on: false });
        return ok(0);
      }
      case 'TCP_LINGER2':
        e.sock.setLinger2(int());
        return ok(0);
      case 'TCP_NODELAY':
        // The model sends as soon as the window allows: Nagle never holds data back.
        int();
        return ok(0);
      case 'IP_BIND_ADDRESS_NO_PORT':
        e.sock.setBindAddressNoPort(int() !== 0);
        return ok(0);
      default:
        void level;
        throw new ScriptError(c.line, `setsockopt(${name}) is outside the subset (SO_REUSEADDR, SO_REUSEPORT, SO_LINGER, TCP_LINGER2, TCP_NODELAY, IP_BIND_ADDRESS_NO_PORT)`);
    }
  }

  private getsockopt(c: Call): Attempt {
    c.count(5);
    const e = this.entry(c);
    const name = c.word(2);
    let actual: number;
    switch (name) {
      case 'SO_ERROR': {
        const err = e.sock.takeError();
        actual = err === null ? 0 : (errnoNumber(err) ?? -1);
        break;
      }
      case 'TCP_LINGER2':
        actual = e.sock.getLinger2();
        break;
      case 'SO_REUSEADDR':
        actual = e.sock.reuseaddr ? 1 : 0;
        break;
      case 'SO_REUSEPORT':
        actual = e.sock.reuseport ? 1 : 0;
        break;
      default:
        throw new ScriptError(c.line, `getsockopt(${name}) is outside the subset (SO_ERROR, TCP_LINGER2, SO_REUSEADDR, SO_REUSEPORT)`);
    }
    const val = c.arg(3);
    if (val.kind !== 'list' || val.items.length !== 1) throw new ScriptError(c.line, `getsockopt(${name}): the expected value is written [N]`);
    const expected = c.value(val.items[0]!);
    return { result: 0, errno: null, mismatch: expected === actual ? null : `Bad getsockopt optval: expected: ${expected} actual: ${actual}` };
  }

  private bind(c: Call): Attempt {
    c.count(3);
    const e = this.entry(c);
    if (c.arg(1).kind !== 'ellipsis') throw new ScriptError(c.line, 'bind(): the address is written ... (the local address and --bind_port)');
    return fromErrno(e.sock.bind(this.ctx.bindPort));
  }

  private listen(c: Call): Attempt {
    c.count(2);
    const e = this.entry(c);
    const err = e.sock.listen(c.int(1));
    if (err === null) e.pd.state = 'listening';
    return fromErrno(err);
  }

  private accept(c: Call): Attempt {
    c.count(3);
    const e = this.entry(c);
    const attempt = (): Attempt => {
      if (e.sock.state !== 'LISTEN') return fail('EINVAL');
      const child = e.sock.accept();
      if (child === 'EAGAIN') return e.nonblocking ? fail('EAGAIN') : { kind: 'block', retry: attempt };
      const pd = this.ctx.childFor(child.rport);
      if (pd === null) throw new SyscallFailure('unable to find socket matching accept() call');
      const fd = c.expectedResult();
      if (fd < 0) return ok(this.fds.size + 3);
      if (this.fds.has(fd)) throw new SyscallFailure(`duplicate fd ${fd} in script`);
      pd.scriptFd = fd;
      pd.model = child;
      if (!pd.fdClosed) this.fds.set(fd, { sock: child, pd, nonblocking: false, ss: 'connected' });
      return ok(fd);
    };
    return attempt();
  }

  private connect(c: Call): Attempt {
    c.count(3);
    const e = this.entry(c);
    const addr = c.arg(1);
    if (addr.kind !== 'ellipsis') {
      if (c.value(addr) === SYMBOLS['AF_UNSPEC']) {
        // tcp.c tcp_disconnect: the socket may connect again; packetdrill forgets its state.
        e.pd.state = 'new';
        e.sock.disconnect();
        e.ss = 'unconnected';
        return ok(0);
      }
      throw new ScriptError(c.line, 'connect(): the address is written ... (the remote address and --connect_port), or AF_UNSPEC');
    }
    if (e.pd.state === 'new') {
      e.pd.state = 'active-connecting';
      e.pd.liveRemotePort = this.ctx.connectPort;
      e.pd.liveLocalPort = 0;
    }
    const s = e.sock;
    // af_inet.c __inet_stream_connect: what the call does depends on struct socket's state.
    const wait = (): Attempt => {
      if (s.state === 'SYN_SENT' || s.state === 'SYN_RECV') {
        return e.nonblocking ? fail('EALREADY') : { kind: 'block', retry: waitAgain };
      }
      if (s.state === 'CLOSE') {
        e.ss = 'unconnected';
        return fail(s.takeError() ?? 'ECONNABORTED');
      }
      e.ss = 'connected';
      return ok(0);
    };
    // A blocked connect() returns when the handshake ends, however it ends.
    const waitAgain = (): Attempt => {
      if (s.state === 'SYN_SENT' || s.state === 'SYN_RECV') return { kind: 'block', retry: waitAgain };
      return wait();
    };
    switch (e.ss) {
      case 'connected':
        return fail('EISCONN');
      case 'connecting':
        return wait();
      case 'unconnected': {
        const r = s.connect(this.ctx.remoteAddr, this.ctx.connectPort);
        if (r !== 'EINPROGRESS') return fail(r);
        e.ss = 'connecting';
        if (e.nonblocking) return fail('EINPROGRESS');
        return waitAgain();
      }
    }
  }

  private read(c: Call): Attempt {
    c.count(c.spec.name === 'recv' ? 4 : 3);
    const e = this.entry(c);
    const max = c.int(2);
    const attempt = (): Attempt => {
      const r = e.sock.recv(max);
      if (r === 'EAGAIN') return e.nonblocking ? fail('EAGAIN') : { kind: 'block', retry: attempt };
      return typeof r === 'number' ? ok(r) : fail(r);
    };
    return attempt();
  }

  private write(c: Call): Attempt {
    c.count(c.spec.name === 'send' ? 4 : 3);
    const e = this.entry(c);
    const n = c.int(2);
    const attempt = (): Attempt => {
      const r = e.sock.send(n);
      // tcp_sendmsg: a blocking socket still connecting waits for the handshake (sk_stream_wait_connect).
      if (r === 'EAGAIN') return e.nonblocking ? fail('EAGAIN') : { kind: 'block', retry: attempt };
      return typeof r === 'number' ? ok(r) : fail(r);
    };
    return attempt();
  }

  private shutdown(c: Call): Attempt {
    c.count(2);
    const e = this.entry(c);
    const how = c.int(1);
    const map: Record<number, 'RD' | 'WR' | 'RDWR'> = { 0: 'RD', 1: 'WR', 2: 'RDWR' };
    const h = map[how];
    if (h === undefined) return fail('EINVAL');
    return fromErrno(e.sock.shutdown(h));
  }

  private close(c: Call): Attempt {
    c.count(1);
    const fd = c.int(0);
    const e = this.fds.get(fd);
    if (e === undefined) throw new SyscallFailure(`unable to find fd with script fd ${fd}`);
    this.fds.delete(fd);
    e.pd.fdClosed = true;
    let returned = false;
    e.sock.events.closed = () => {
      returned = true;
    };
    if (e.sock.close() === 'done') return ok(0);
    // SO_LINGER: close() blocks until the FIN is acknowledged or the linger time runs out.
    const attempt = (): Attempt => (returned ? ok(0) : { kind: 'block', retry: attempt });
    return attempt();
  }

  private fcntl(c: Call): Attempt {
    const e = this.entry(c);
    const cmd = c.int(1);
    if (cmd === SYMBOLS['F_GETFL']) {
      c.count(2);
      return ok(SYMBOLS['O_RDWR']! | (e.nonblocking ? SYMBOLS['O_NONBLOCK']! : 0));
    }
    if (cmd === SYMBOLS['F_SETFL']) {
      c.count(3);
      e.nonblocking = (c.int(2) & SYMBOLS['O_NONBLOCK']!) !== 0;
      return ok(0);
    }
    throw new ScriptError(c.line, 'fcntl(): only F_GETFL and F_SETFL are modelled');
  }

  private poll(c: Call): Attempt {
    c.count(3);
    const list = c.arg(0);
    if (list.kind !== 'list') throw new ScriptError(c.line, 'poll(): the first argument is a list of {fd=..., events=..., revents=...}');
    const nfds = c.int(1);
    if (nfds !== list.items.length) throw new ScriptError(c.line, `nfds ${nfds} does not match ${list.items.length}-element pollfd array`);
    const timeoutMs = c.int(2);
    const pfds = list.items.map((it) => {
      if (it.kind !== 'pollfd') throw new ScriptError(c.line, 'poll(): each element is {fd=N, events=..., revents=...}');
      return { fd: c.value(it.fd), events: c.value(it.events), revents: c.value(it.revents) };
    });
    const now = this.ctx.host.now;
    const deadline = timeoutMs < 0 ? Infinity : now + timeoutMs * 1000;
    const attempt = (): Attempt => {
      const actual = pfds.map((p) => this.revents(p.fd, p.events));
      const ready = actual.filter((r) => r !== 0).length;
      if (ready === 0 && this.ctx.host.now < deadline) return { kind: 'block', retry: attempt, deadline };
      let mismatch: string | null = null;
      for (let i = 0; i < pfds.length; i++) {
        if (actual[i] !== pfds[i]!.revents) {
          mismatch = `Expected revents of ${pollFlagsString(pfds[i]!.revents)} but got ${pollFlagsString(actual[i]!)} for pollfd ${i}`;
          break;
        }
      }
      return { result: ready, errno: null, mismatch };
    };
    return attempt();
  }

  /** tcp.c tcp_poll (and inet_csk_listen_poll), filtered by the events asked for. */
  private revents(fd: number, events: number): number {
    const e = this.fds.get(fd);
    if (e === undefined) return SYMBOLS['POLLNVAL']!;
    const s = e.sock;
    const S = SYMBOLS as Record<string, number>;
    let mask = 0;
    if (s.state === 'LISTEN') {
      mask = s.acceptQueue.length > 0 ? S['POLLIN']! | S['POLLRDNORM']! : 0;
    } else {
      if ((s.rcvShutdown && s.sndShutdown) || s.state === 'CLOSE') mask |= S['POLLHUP']!;
      if (s.rcvShutdown) mask |= S['POLLIN']! | S['POLLRDNORM']! | S['POLLRDHUP']!;
      if (s.state !== 'SYN_SENT' && s.state !== 'SYN_RECV') {
        if (s.readable > 0) mask |= S['POLLIN']! | S['POLLRDNORM']!;
        // The model's send buffer is unbounded: always writeable.
        mask |= S['POLLOUT']! | S['POLLWRNORM']!;
      }
      if (s.error !== null) mask |= S['POLLERR']!;
    }
    return mask & (events | S['POLLERR']! | S['POLLHUP']! | S['POLLNVAL']!);
  }
}

function ok(result: number): Outcome {
  return { result, errno: null, mismatch: null };
}

function fail(errno: string): Outcome {
  return { result: -1, errno, mismatch: null };
}

function fromErrno(err: string | null): Outcome {
  return err === null ? ok(0) : fail(err);
}

/** Argument access with packetdrill's messages. */
class Call {
  constructor(
    readonly spec: SyscallSpec,
    readonly line: number,
  ) {}

  count(n: number): void {
    if (this.spec.args.length !== n) throw new ScriptError(this.line, `${this.spec.name}: expected ${n} args but got ${this.spec.args.length}`);
  }

  arg(i: number): Expr {
    const a = this.spec.args[i];
    if (a === undefined) throw new ScriptError(this.line, `${this.spec.name}: argument ${i + 1} is missing`);
    return a;
  }

  int(i: number): number {
    return this.value(this.arg(i));
  }

  word(i: number): string {
    const a = this.arg(i);
    if (a.kind !== 'word') throw new ScriptError(this.line, `${this.spec.name}: argument ${i + 1} must be a name such as SO_REUSEADDR`);
    return a.name;
  }

  /** An integer expression: a number, a C constant, or constants ORed together. */
  value(e: Expr): number {
    switch (e.kind) {
      case 'int':
        return e.value;
      case 'word': {
        const v = SYMBOLS[e.name] ?? errnoNumber(e.name);
        if (v === undefined) throw new ScriptError(this.line, `${this.spec.name}: unknown symbol ${e.name}`);
        return v;
      }
      case 'or':
        return this.value(e.lhs) | this.value(e.rhs);
      case 'list':
        if (e.items.length === 1) return this.value(e.items[0]!);
        break;
      default:
        break;
    }
    throw new ScriptError(this.line, `${this.spec.name}: expected an integer argument`);
  }

  expectedResult(): number {
    return this.value(this.spec.result);
  }
}
