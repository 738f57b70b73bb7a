// Runs a packetdrill script against the model: one simulated Linux host (the script's side)
// and a scripted remote on the same Network, a SegmentSink that records what the host sends
// and injects the script's inbound packets at their times. Time is simulated: the runner
// advances the event queue to each event's time, so a script that takes 60 s on a real
// kernel takes milliseconds here.
//
// The checks follow packetdrill (run.c, run_packet.c, run_system_call.c) so that a script
// passes here exactly when it would pass against a kernel that behaved like the model:
// event times relative to when the previous event completed (consecutive inbound packets to
// each other's script times), tolerance max(--tolerance_usecs, 12.5% of the gap to the last
// event), outbound packets mapped into script space (sequence numbers relative to our ISN,
// acks relative to the peer's, TS val relative to the first one seen) and compared field by
// field in packetdrill's order, inbound TS ecr mapped to the TS val the host really sent,
// and blocking calls checked when they return. The first mismatch ends the run with
// packetdrill's report: the script line, what was expected and what happened.

import { EventQueue } from '../engine/queue.js';
import { Rng } from '../engine/rng.js';
import type { Micros } from '../engine/time.js';
import { SEC } from '../engine/time.js';
import type { Ipv4 } from '../net/addr.js';
import { parseIpv4 } from '../net/addr.js';
import { Network } from '../net/network.js';
import { ACK, FIN, PSH, RST, SYN, Segment } from '../net/segment.js';
import type { SegmentSink } from '../net/segment.js';
import { TcpHost } from '../tcp/host.js';
import { PROFILES } from '../tcp/profile.js';
import { runCode, CodeError, tcpInfo } from './code.js';
import { flagBits, formatPacket, formatSecs, linuxOptions } from './packet.js';
import type { PacketView } from './packet.js';
import { optionsLength, parseScript } from './parse.js';
import type { Defines } from './parse.js';
import type { EventTime, PacketSpec, Script, ScriptEvent, SyscallSpec, TcpOption } from './script.js';
import { ScriptError } from './script.js';
import { CommandError, HostSettings, runCommand } from './setup.js';
import type { ReadFile } from './setup.js';
import { describeErrno } from './symbols.js';
import { isBlocked, Kernel, PdSocket, SyscallFailure } from './syscalls.js';
import type { Attempt, Blocked, Outcome } from './syscalls.js';

export interface RunOptions {
  /** The script's name as reports show it (packetdrill prints the path it was given). */
  path: string;
  /** Directory that relative commands (`../common/defaults.sh`) are read from. */
  dir: string;
  readFile: ReadFile;
  /** --ip_version: 'ipv4' (default), 'ipv6' or 'ipv4-mapped-ipv6'. */
  ipVersion?: IpVersion;
  localIp?: string;
  remoteIp?: string;
  /** -D NAME=VALUE. */
  defines?: Defines;
  /** --tolerance_usecs (a script's own option line wins over this, as in packetdrill). */
  toleranceUsecs?: number;
  seed?: number;
}

export type IpVersion = 'ipv4' | 'ipv6' | 'ipv4-mapped-ipv6';

export interface RunResult {
  ok: boolean;
  /** On failure, packetdrill's report: "FILE:LINE: error ...", then script/actual packet lines. */
  error: string | null;
  /** Things the model accepted but ignored (sysctls it does not simulate). */
  notes: string[];
}

/** packetdrill config.c defaults. */
const DEFAULT_TOLERANCE_USECS = 4000;
const DEFAULT_TOLERANCE_PERCENT = 12.5;
const DEFAULT_PORT = 8080;
const DEFAULT_V4_LOCAL = '192.168.0.2';
const DEFAULT_V4_REMOTE = '192.0.2.1';
/** The scripted remote's first source port for passive connections (packetdrill takes a
 *  free ephemeral port; any will do). */
const FIRST_REMOTE_PORT = 48000;
/** run_packet.c sniff_outbound_live_packet: seconds after the expected time before giving up. */
const SNIFF_TOLERANCE_S = 2;
/** `*` waits for a packet without limit in packetdrill; the model stops after this much. */
const ANY_TIME_LIMIT: Micros = 600 * SEC;
/** run_system_call.c await_idle_thread: a call waits this long for a blocking one to finish. */
const AWAIT_IDLE: Micros = 1 * SEC;
/** A call written without `...` that blocks holds the script (packetdrill's main thread) this
 *  long at most before the run is stopped. */
const MAIN_THREAD_BLOCK_LIMIT: Micros = 600 * SEC;
/** IPv4 and TCP header sizes without options. */
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const TCP_HEADER = 20;

class Failure extends Error {}

interface Captured {
  seg: Segment;
  t: Micros;
}

/** The remote end: it records everything the host sends, in order. */
class ScriptedRemote implements SegmentSink {
  readonly captured: Captured[] = [];
  receive(seg: Segment, now: Micros): void {
    this.captured.push({ seg, t: now });
  }
}

/** A blocking call in progress (packetdrill's system-call thread). */
interface Pending {
  event: ScriptEvent;
  spec: SyscallSpec;
  start: Micros;
  end: Micros;
  blocked: Blocked;
}

/** An event with its times made absolute (run.c adjust_relative_event_times). */
interface Timed {
  event: ScriptEvent;
  start: Micros;
  end: Micros | null;
  /** A blocking call's expected return time. */
  sysEnd: Micros | null;
  /** What a relative time was relative to (0 for absolute times). */
  offset: Micros;
}

export function runScript(text: string, o: RunOptions): RunResult {
  const notes: string[] = [];
  try {
    const script = parseScript(text, o.defines ?? new Map());
    const runner = new Runner(script, o, notes);
    runner.run();
    return { ok: true, error: null, notes };
  } catch (e) {
    if (e instanceof Failure) return { ok: false, error: e.message, notes };
    if (e instanceof ScriptError) return { ok: false, error: `${o.path}:${e.line}: ${e.message}`, notes };
    throw e;
  }
}

class Runner {
  private readonly queue = new EventQueue();
  private readonly network: Network;
  private readonly host: TcpHost;
  private readonly remote = new ScriptedRemote();
  private readonly kernel: Kernel;
  private readonly settings: HostSettings;
  private readonly localAddr: Ipv4;
  private readonly remoteAddr: Ipv4;
  private readonly ipVersion: IpVersion;
  private toleranceUsecs: number;
  private tolerancePercent = DEFAULT_TOLERANCE_PERCENT;
  private bindPort = DEFAULT_PORT;
  private connectPort = DEFAULT_PORT;
  private nextRemotePort = FIRST_REMOTE_PORT;
  private readonly sockets: PdSocket[] = [];
  private sut: PdSocket | null = null;
  private cursor = 0;
  private last: Timed | null = null;
  private pending: Pending | null = null;
  private failure: Failure | null = null;
  private readonly code: { event: ScriptEvent; vars: Record<string, number> }[] = [];

  constructor(
    private readonly script: Script,
    private readonly o: RunOptions,
    private readonly notes: string[],
  ) {
    this.toleranceUsecs = o.toleranceUsecs ?? DEFAULT_TOLERANCE_USECS;
    let ipVersion = o.ipVersion ?? 'ipv4';
    let localIp = o.localIp;
    let remoteIp = o.remoteIp;
    for (const opt of script.options) {
      const v = opt.value ?? '';
      switch (opt.name) {
        case 'tolerance_usecs':
          this.toleranceUsecs = intOption(opt.line, opt.name, v);
          break;
        case 'tolerance_percent':
          this.tolerancePercent = Number(v);
          break;
        case 'ip_version':
          if (v !== 'ipv4' && v !== 'ipv6' && v !== 'ipv4-mapped-ipv6') throw new ScriptError(opt.line, `--ip_version=${v}: ipv4, ipv6 or ipv4-mapped-ipv6`);
          ipVersion = v;
          break;
        case 'local_ip':
          localIp = v;
          break;
        case 'remote_ip':
          remoteIp = v;
          break;
        case 'bind_port':
          this.bindPort = intOption(opt.line, opt.name, v);
          break;
        case 'connect_port':
          this.connectPort = intOption(opt.line, opt.name, v);
          break;
        default:
          throw new ScriptError(opt.line, `option --${opt.name} is outside the subset (tolerance_usecs, tolerance_percent, ip_version, local_ip, remote_ip, bind_port, connect_port)`);
      }
    }
    this.ipVersion = ipVersion;
    // The model's addresses are IPv4 numbers; an IPv6 script gets stand-ins (nothing in the
    // model depends on the address but tcp_tw_reuse=2's loopback test).
    this.localAddr = ipVersion === 'ipv6' ? parseIpv4('10.255.0.2')! : addr(localIp ?? DEFAULT_V4_LOCAL, '--local-ip');
    this.remoteAddr = ipVersion === 'ipv6' ? parseIpv4('10.255.0.1')! : addr((remoteIp ?? DEFAULT_V4_REMOTE).replace(/\/\d+$/, ''), '--remote-ip');
    // tcp_advertise_mss: a 1500-byte MTU less the IP and TCP headers.
    this.settings = new HostSettings('linux-6.18', ipVersion === 'ipv6' ? 1440 : 1460);
    this.network = new Network(this.queue, 0);
    this.network.attach(this.remoteAddr, this.remote);
    const rng = new Rng(o.seed ?? 1);
    let id = 0;
    this.host = new TcpHost({
      name: 'local',
      address: this.localAddr,
      sysctl: this.settings.sysctls,
      profile: PROFILES['linux-6.18'],
      queue: this.queue,
      network: this.network,
      rng: rng.fork('host'),
      ids: { next: () => ++id },
      handshake: this.settings.handshake(),
    });
    this.kernel = new Kernel({
      host: this.host,
      remoteAddr: this.remoteAddr,
      connectPort: this.connectPort,
      bindPort: this.bindPort,
      socketCreated: (pd) => {
        this.sockets.push(pd);
        this.sut = pd;
      },
      childFor: (rport) => this.sockets.find((s) => (s.state === 'passive-synack-sent' || s.state === 'passive-synack-acked') && s.liveRemotePort === rport) ?? null,
    });
  }

  private get now(): Micros {
    return this.queue.now;
  }

  run(): void {
    if (this.script.initCommand !== null) this.command(this.script.initCommand.line, this.script.initCommand.text);
    const events = this.script.events;
    if (events.length > 0 && !(events[0]!.time.kind === 'absolute' || events[0]!.time.kind === 'relative') ) {
      throw new Failure(`${this.o.path}:${events[0]!.line}: first event should be at time 0`);
    }
    if (events.length > 0 && 'usecs' in events[0]!.time && events[0]!.time.usecs !== 0) {
      throw new Failure(`${this.o.path}:${events[0]!.line}: first event should be at time 0`);
    }
    for (const ev of events) {
      const timed = this.adjust(ev);
      switch (ev.action.kind) {
        case 'packet':
          if (ev.action.direction === 'outbound') this.outbound(timed, ev.action);
          else this.inbound(timed, ev.action);
          break;
        case 'syscall':
          this.syscall(timed, ev.action);
          break;
        case 'command':
          this.waitForEvent(timed);
          this.command(ev.line, ev.action.text);
          break;
        case 'code':
          this.codeEvent(timed);
          break;
      }
      this.last = timed;
    }
    if (this.script.cleanupCommand !== null) this.command(this.script.cleanupCommand.line, this.script.cleanupCommand.text);
    // syscalls_free: a blocking call still in progress gets a second to finish.
    if (this.pending !== null) {
      this.advance(this.now + AWAIT_IDLE, () => this.pending === null);
      if (this.pending !== null) {
        throw new Failure(`${this.o.path}:${this.pending.event.line}: runtime error: exiting while a blocking system call is in progress`);
      }
    }
    for (const c of this.code) {
      try {
        runCode(c.event.action.kind === 'code' ? c.event.action.text : '', c.vars);
      } catch (e) {
        if (e instanceof CodeError) throw new Failure(`${this.o.path}:${c.event.line}: error in code: ${e.message}`);
        throw e;
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // Time.

  /** run.c adjust_relative_event_times, and the "time goes backward" check of get_next_event. */
  private adjust(ev: ScriptEvent): Timed {
    const t: EventTime = ev.time;
    const sysEnd = ev.action.kind === 'syscall' ? ev.action.endUsecs : null;
    if (t.kind === 'absolute' || t.kind === 'absolute-range') {
      const prev = this.last;
      if (prev !== null && isAbsolute(prev.event.time) && t.usecs < prev.start) {
        throw new Failure(`${this.o.path}:${ev.line}: time goes backward in script from ${prev.start} usec to ${t.usecs} usec`);
      }
      return { event: ev, start: t.usecs, end: t.kind === 'absolute-range' ? t.end : null, sysEnd, offset: 0 };
    }
    const anchored = this.last !== null && isInbound(this.last.event) && isInbound(ev);
    const offset = anchored ? this.last!.start : this.now;
    if (t.kind === 'any') return { event: ev, start: offset, end: null, sysEnd: null, offset };
    return {
      event: ev,
      start: t.usecs + offset,
      end: t.kind === 'relative-range' ? t.end + offset : null,
      sysEnd: sysEnd === null ? null : sysEnd + offset,
      offset,
    };
  }

  /** run.c verify_time: null when `actual` is within tolerance of what the script wanted. */
  private timeError(time: EventTime, expected: Micros, expectedEnd: Micros | null, actual: Micros, lastEvent: Micros | null, what: string, rangeOffset = 0): string | null {
    if (time.kind === 'any') return null;
    let tol = this.toleranceUsecs;
    if (lastEvent !== null) tol = Math.max(tol, Math.trunc((this.tolerancePercent / 100) * (expected - lastEvent)));
    if (time.kind === 'absolute-range' || time.kind === 'relative-range') {
      const end = expectedEnd ?? expected;
      if (actual >= expected - tol && actual <= end + tol) return null;
      if (time.kind === 'absolute-range') {
        return `timing error: expected ${what} in time range ${secs(expected)}~${secs(end)} sec but happened at ${secs(actual)} sec`;
      }
      return `timing error: expected ${what} in relative time range +${secs(expected - rangeOffset)}~+${secs(end - rangeOffset)} sec but happened at ${signedSecs(actual - rangeOffset)} sec`;
    }
    if (actual >= expected - tol && actual <= expected + tol) return null;
    return `timing error: expected ${what} at ${secs(expected)} sec but happened at ${secs(actual)} sec; tolerance ${secs(tol)} sec`;
  }

  /** run.c wait_for_event: run the model up to the event's time, then check it is not late. */
  private waitForEvent(timed: Timed): void {
    if (timed.start > this.now) this.advance(timed.start);
    const err = this.timeError(timed.event.time, timed.start, timed.end, this.now, this.last?.start ?? null, describe(timed.event), timed.offset);
    if (err !== null) throw new Failure(`${this.o.path}:${timed.event.line}: ${err}`);
  }

  /**
   * Run the model's events up to `until` (or until `stop()`), re-trying a blocked call after
   * each: a blocked call completes at the event that unblocks it.
   */
  private advance(until: Micros, stop?: () => boolean): void {
    for (;;) {
      const deadline = this.pending?.blocked.deadline;
      const limit = deadline !== undefined && deadline < until ? deadline : until;
      this.queue.runUntil(limit, () => {
        this.retryPending();
        return this.failure !== null || (stop?.() ?? false);
      });
      if (this.failure !== null) throw this.failure;
      if (stop?.()) return;
      if (limit === until) return;
      // poll()'s timeout: the call returns even though nothing happened.
      this.retryPending();
      if (this.failure !== null) throw this.failure;
    }
  }

  private retryPending(): void {
    const p = this.pending;
    if (p === null) return;
    let a: Attempt;
    try {
      a = p.blocked.retry();
    } catch (e) {
      this.pending = null;
      this.failure = this.callFailure(p.event, p.spec, e);
      return;
    }
    if (isBlocked(a)) {
      p.blocked = a;
      return;
    }
    this.pending = null;
    const err = this.outcomeError(p.spec, a);
    const timing = this.timeError(p.event.time, p.end, null, this.now, p.start, 'system call return');
    if (err !== null) this.failure = new Failure(`${this.o.path}:${p.event.line}: runtime error in ${p.spec.name} call: ${err}`);
    else if (timing !== null) this.failure = new Failure(`${this.o.path}:${p.event.line}: ${timing}`);
  }

  // -------------------------------------------------------------------------------------
  // Commands and code.

  private command(line: number, text: string): void {
    try {
      runCommand(text, this.settings, this.o.dir, this.o.readFile);
    } catch (e) {
      if (e instanceof CommandError) throw new Failure(`${this.o.path}:${line}: error executing \`${text.trim()}\` command: ${e.message}`);
      throw e;
    }
    this.host.setSysctls(this.settings.sysctls);
    this.host.handshake = this.settings.handshake();
    const ignored = this.settings.ignored;
    if (ignored.length > 0) {
      const note = `sysctls for what the model does not simulate were ignored: ${ignored.join(', ')}`;
      this.notes.length = 0;
      this.notes.push(note);
    }
  }

  private codeEvent(timed: Timed): void {
    this.waitForEvent(timed);
    const sut = this.sut;
    if (sut === null) throw new Failure(`${this.o.path}:${timed.event.line}: no socket to use for code`);
    if (sut.model === null || !this.kernel.isOpen(sut)) {
      throw new Failure(`${this.o.path}:${timed.event.line}: can't find getsockopt to get TCP info (the socket under test has no open fd)`);
    }
    this.code.push({ event: timed.event, vars: tcpInfo(sut.model) });
  }

  // -------------------------------------------------------------------------------------
  // System calls.

  private syscall(timed: Timed, spec: SyscallSpec): void {
    const ev = timed.event;
    if (spec.endUsecs !== null) {
      if (this.pending !== null) {
        this.advance(this.now + AWAIT_IDLE, () => this.pending === null);
        if (this.pending !== null) {
          throw new Failure(`${this.o.path}:${ev.line}: runtime error in ${spec.name} call: blocking system call while another blocking system call is already in progress`);
        }
      }
      this.waitForEvent(timed);
      const a = this.call(ev, spec);
      const end = timed.sysEnd!;
      if (isBlocked(a)) {
        this.pending = { event: ev, spec, start: timed.start, end, blocked: a };
        return;
      }
      this.checkOutcome(ev, spec, a);
      const timing = this.timeError(ev.time, end, null, this.now, timed.start, 'system call return');
      if (timing !== null) throw new Failure(`${this.o.path}:${ev.line}: ${timing}`);
      return;
    }
    // A call in the script's own thread first waits (at most a second) for a blocking one.
    if (this.pending !== null) this.advance(this.now + AWAIT_IDLE, () => this.pending === null);
    this.waitForEvent(timed);
    let a: Attempt = this.call(ev, spec);
    if (isBlocked(a)) {
      // Written without `...` but it blocks: the script waits for it, as packetdrill's main
      // thread would.
      const limit = this.now + MAIN_THREAD_BLOCK_LIMIT;
      let blocked: Blocked = a;
      let done: Outcome | null = null;
      const saved = this.pending;
      this.pending = null;
      while (done === null) {
        const deadline = blocked.deadline ?? limit;
        this.queue.runUntil(Math.min(deadline, limit), () => {
          const r = this.retryMain(ev, spec, blocked);
          if (isBlocked(r)) {
            blocked = r;
            return false;
          }
          done = r;
          return true;
        });
        if (done === null) {
          const r = this.retryMain(ev, spec, blocked);
          if (!isBlocked(r)) done = r;
          else if (this.now >= limit) {
            throw new Failure(`${this.o.path}:${ev.line}: runtime error in ${spec.name} call: it blocked for ${MAIN_THREAD_BLOCK_LIMIT / SEC} s without returning (write it as a blocking call, +T...END ${spec.name}(...), to let the script go on meanwhile)`);
          } else blocked = r;
        }
      }
      this.pending = saved;
      a = done;
    }
    this.checkOutcome(ev, spec, a);
  }

  private retryMain(ev: ScriptEvent, spec: SyscallSpec, b: Blocked): Attempt {
    try {
      return b.retry();
    } catch (e) {
      throw this.callFailure(ev, spec, e);
    }
  }

  /** A call refused at run time, as packetdrill reports it. */
  private callFailure(ev: ScriptEvent, spec: SyscallSpec, e: unknown): Failure {
    if (e instanceof SyscallFailure) return new Failure(`${this.o.path}:${ev.line}: runtime error in ${spec.name} call: ${e.message}`);
    if (e instanceof ScriptError) return new Failure(`${this.o.path}:${e.line}: ${e.message}`);
    throw e;
  }

  private call(ev: ScriptEvent, spec: SyscallSpec): Attempt {
    try {
      return this.kernel.call(spec, ev.line);
    } catch (e) {
      throw this.callFailure(ev, spec, e);
    }
  }

  private checkOutcome(ev: ScriptEvent, spec: SyscallSpec, a: Outcome): void {
    const err = this.outcomeError(spec, a);
    if (err !== null) throw new Failure(`${this.o.path}:${ev.line}: runtime error in ${spec.name} call: ${err}`);
  }

  /** run_system_call.c end_syscall: the result, then errno, then what the call filled in. */
  private outcomeError(spec: SyscallSpec, a: Outcome): string | null {
    const r = spec.result;
    let expected: number;
    if (r.kind === 'int') expected = r.value;
    else if (r.kind === 'ellipsis') return a.mismatch;
    else if (r.kind === 'word' && /^[A-Z_]+$/.test(r.name)) expected = 0;
    else return 'the result must be an integer';
    const fdMode = spec.name === 'socket' || spec.name === 'accept';
    if (fdMode && expected >= 0) {
      if (a.result < 0) return `Expected non-negative result but got ${a.result} with errno ${describeErrno(a.errno)}`;
    } else if (a.result !== expected) {
      return `Expected result ${expected} but got ${a.result} with errno ${describeErrno(a.errno)}`;
    }
    if (spec.errno !== null && spec.errno !== a.errno) {
      return `Expected errno ${describeErrno(spec.errno)} but got ${describeErrno(a.errno)}`;
    }
    return a.mismatch;
  }

  // -------------------------------------------------------------------------------------
  // Packets.

  /** run_packet.c find_or_create_socket_for_script_packet. */
  private socketFor(spec: PacketSpec, line: number): PdSocket {
    const bits = flagBits(spec.flags);
    const sut = this.sut;
    if (spec.direction === 'inbound' && (sut === null || sut.state === 'listening')) {
      // handle_listen_for_script_packet: a child socket for the listener.
      const child = new PdSocket('passive-packet-received');
      child.scriptRemoteIsn = child.liveRemoteIsn = spec.seq;
      child.liveRemotePort = this.nextRemotePort++;
      child.liveLocalPort = this.bindPort;
      this.sockets.push(child);
      this.sut = child;
      return child;
    }
    if (spec.direction === 'outbound' && bits & SYN && !(bits & ACK) && sut !== null && sut.state === 'active-connecting') {
      // handle_connect_for_script_packet.
      sut.state = 'active-syn-sent';
      sut.scriptLocalIsn = spec.seq;
      return sut;
    }
    if (sut === null) throw new Failure(`${this.o.path}:${line}: error handling packet: no matching socket for script packet`);
    return sut;
  }

  private inbound(timed: Timed, spec: PacketSpec): void {
    const line = timed.event.line;
    const sock = this.socketFor(spec, line);
    this.waitForEvent(timed);
    const bits = flagBits(spec.flags);
    if (sock.state === 'passive-synack-sent' && bits & ACK) sock.state = 'passive-synack-acked';
    else if (sock.state === 'active-syn-sent' && bits & SYN && bits & ACK) {
      sock.state = 'active-syn-acked';
      sock.scriptRemoteIsn = sock.liveRemoteIsn = spec.seq;
    }
    const isSyn = (bits & SYN) !== 0;
    // map_inbound_packet: script -> live sequence space.
    const seq = (spec.seq + (isSyn ? 0 : sock.liveRemoteIsn)) >>> 0;
    const ack = bits & ACK ? (spec.ack + (isSyn ? sock.liveLocalIsn - sock.scriptLocalIsn : sock.liveLocalIsn)) >>> 0 : spec.ack;
    const seg = new Segment(this.remoteAddr, sock.liveRemotePort, this.localAddr, sock.liveLocalPort, seq, ack, bits, spec.win ?? 0, spec.len);
    for (const opt of spec.options ?? []) {
      switch (opt.kind) {
        case 'mss':
          seg.mss = opt.value;
          break;
        case 'sackOK':
          seg.sackOk = true;
          break;
        case 'wscale':
          seg.wscale = opt.value;
          break;
        case 'TS': {
          seg.hasTs = true;
          seg.tsVal = opt.val;
          let ecr = opt.ecr;
          if (bits & ACK) {
            const live = sock.tsValMap.get(opt.ecr);
            if (live === undefined) {
              throw new Failure(
                `${this.o.path}:${line}: error handling packet: unable to infer live TS ecr for script TS ecr ${opt.ecr};  no matching or preceding outbound TS val`,
              );
            }
            ecr = live;
          }
          seg.tsEcr = ecr;
          break;
        }
        case 'sack':
          throw new Failure(`${this.o.path}:${line}: error handling packet: inbound SACK blocks are outside the subset (the model has no SACK)`);
        case 'nop':
        case 'eol':
          break;
      }
    }
    this.network.send(seg);
    this.advance(this.now);
  }

  private outbound(timed: Timed, spec: PacketSpec): void {
    const ev = timed.event;
    const sock = this.socketFor(spec, ev.line);
    const bits = flagBits(spec.flags);
    const synAck = (bits & (SYN | ACK)) === (SYN | ACK);
    if (sock.state === 'passive-packet-received' && synAck) sock.scriptLocalIsn = spec.seq;
    let live = this.sniff(timed, sock);
    if (sock.state === 'passive-packet-received' && synAck) {
      sock.state = 'passive-synack-sent';
      sock.liveLocalIsn = live.seg.seq;
    }
    if (live.seg.len < spec.len) live = this.aggregate(timed, spec, sock, live);
    this.verify(timed, spec, sock, live);
  }

  /**
   * do_outbound_script_packet: packets are sniffed until their payload adds up to what the
   * script expects (a kernel sends one TSO packet where the model sends MSS-sized segments),
   * each continuing the previous one (verify_packet_fragments), then merged: the first one's
   * sequence number, the last one's other header fields and time (aggregate_packets).
   */
  private aggregate(timed: Timed, spec: PacketSpec, sock: PdSocket, first: Captured): Captured {
    const line = timed.event.line;
    const parts = [first];
    let total = first.seg.len;
    while (total < spec.len) {
      const next = this.sniff(timed, sock);
      const prev = parts[parts.length - 1]!.seg;
      const cur = next.seg;
      const fail = (msg: string): never => {
        throw new Failure(`${this.o.path}:${line}: error handling packet: ${msg}`);
      };
      const same = (name: string, a: number, b: number): void => {
        if (a !== b) fail(`live packet field ${name}: expected: ${a >>> 0} (0x${(a >>> 0).toString(16)}) vs actual: ${b >>> 0} (0x${(b >>> 0).toString(16)})`);
      };
      same('tcp_data_offset', (TCP_HEADER + optionsLength(linuxOptions(prev))) / 4, (TCP_HEADER + optionsLength(linuxOptions(cur))) / 4);
      same('tcp_syn', prev.flags & SYN ? 1 : 0, cur.flags & SYN ? 1 : 0);
      same('tcp_rst', prev.flags & RST ? 1 : 0, cur.flags & RST ? 1 : 0);
      same('tcp_ack', prev.flags & ACK ? 1 : 0, cur.flags & ACK ? 1 : 0);
      same('tcp_seq', (prev.seq + prev.len) >>> 0, cur.seq);
      same('tcp_ack_seq', prev.ack, cur.ack);
      same('tcp_window', prev.win, cur.win);
      if (cur.len < spec.len - total && cur.len !== prev.len) {
        fail(`fragment payload: expected ${prev.len} bytes vs actual ${cur.len} bytes; total payload: expected ${spec.len} bytes vs actual ${total + cur.len} bytes`);
      }
      parts.push(next);
      total += cur.len;
    }
    if (total !== spec.len) throw new Failure(`${this.o.path}:${line}: error handling packet: live packet payload: expected ${spec.len} bytes vs actual ${total} bytes`);
    const last = parts[parts.length - 1]!;
    const seg = last.seg;
    const merged = new Segment(seg.src, seg.sport, seg.dst, seg.dport, first.seg.seq, seg.ack, seg.flags, seg.win, total);
    merged.hasTs = seg.hasTs;
    merged.tsVal = seg.tsVal;
    merged.tsEcr = seg.tsEcr;
    return { seg: merged, t: last.t };
  }

  /** run_packet.c sniff_outbound_live_packet: the next packet of the socket under test. */
  private sniff(timed: Timed, sock: PdSocket): Captured {
    const ev = timed.event;
    const lastScript = this.last?.start ?? 0;
    const waitUs = Math.max(timed.start, timed.end ?? timed.start) - lastScript;
    const timeout = ev.time.kind === 'any' ? this.now + ANY_TIME_LIMIT : this.now + (Math.trunc(waitUs / SEC) + SNIFF_TOLERANCE_S) * SEC;
    for (;;) {
      if (this.cursor >= this.remote.captured.length) {
        this.advance(timeout, () => this.cursor < this.remote.captured.length);
        if (this.cursor >= this.remote.captured.length) {
          throw new Failure(`${this.o.path}:${ev.line}: error handling packet: Timed out waiting for packet`);
        }
      }
      const c = this.remote.captured[this.cursor++]!;
      const seg = c.seg;
      if (sock.liveLocalPort !== 0 && seg.sport === sock.liveLocalPort && seg.dport === sock.liveRemotePort) return c;
      // find_connect_for_live_packet: the SYN of the connect() under test tells its port and ISN.
      if (sock.state === 'active-syn-sent' && seg.flags & SYN && !(seg.flags & ACK) && seg.dport === sock.liveRemotePort) {
        sock.liveLocalPort = seg.sport;
        sock.liveLocalIsn = seg.seq;
        return c;
      }
      // A packet of another connection: packetdrill does not see it.
    }
  }

  /** run_packet.c verify_outbound_live_packet, in its order of checks. */
  private verify(timed: Timed, spec: PacketSpec, sock: PdSocket, live: Captured): void {
    const ev = timed.event;
    const seg = live.seg;
    const isSyn = (seg.flags & SYN) !== 0;
    // tcp_convert_seq_number: live -> script space.
    const seq = (seg.seq - (isSyn ? sock.liveLocalIsn - sock.scriptLocalIsn : sock.liveLocalIsn)) >>> 0;
    const ack = seg.flags & ACK ? (seg.ack - (isSyn ? 0 : sock.liveRemoteIsn)) >>> 0 : seg.ack;
    const options = linuxOptions(seg);
    // map_outbound_live_packet: remember script TS val -> live, report TS val in script space.
    const scriptTs = spec.options?.find((x): x is Extract<TcpOption, { kind: 'TS' }> => x.kind === 'TS');
    const liveTs = options.find((x): x is Extract<TcpOption, { kind: 'TS' }> => x.kind === 'TS');
    if (scriptTs !== undefined && liveTs !== undefined) {
      sock.tsValMap.set(scriptTs.val, liveTs.val);
      sock.firstTs ??= { script: scriptTs.val, live: liveTs.val };
      liveTs.val = (sock.firstTs.script + (liveTs.val - sock.firstTs.live)) >>> 0;
    }
    const actual: PacketView = { flags: seg.flags, seq, len: seg.len, ack, win: seg.win, options };
    const expected: PacketView = { flags: flagBits(spec.flags), seq: spec.seq, len: spec.len, ack: spec.ack, win: spec.win, options: spec.options ?? [] };
    const err = this.packetMismatch(spec, expected, actual) ?? this.timeError(ev.time, timed.start, timed.end, live.t, this.last?.start ?? null, 'outbound packet', timed.offset);
    if (err !== null) {
      throw new Failure(
        `${this.o.path}:${ev.line}: error handling packet: ${err}\n` +
          `script packet: ${formatSecs(timed.start)} ${formatPacket(expected)}\n` +
          `actual packet: ${formatSecs(live.t)} ${formatPacket(actual)}`,
      );
    }
  }

  private packetMismatch(spec: PacketSpec, e: PacketView, a: PacketView): string | null {
    const check = (name: string, expected: number, actual: number): string | null =>
      expected === actual ? null : `live packet field ${name}: expected: ${expected >>> 0} (0x${(expected >>> 0).toString(16)}) vs actual: ${actual >>> 0} (0x${(actual >>> 0).toString(16)})`;
    const optLen = (o: readonly TcpOption[]): number => optionsLength(o);
    const allowance = spec.options === null ? optLen(a.options) : 0;
    const ipHeader = this.ipVersion === 'ipv6' ? IPV6_HEADER : IPV4_HEADER;
    const scriptBytes = TCP_HEADER + optLen(e.options) + e.len;
    const actualBytes = TCP_HEADER + optLen(a.options) + a.len;
    const lengthCheck =
      this.ipVersion === 'ipv6'
        ? check('ipv6_payload_len', scriptBytes + allowance, actualBytes)
        : check('ipv4_total_length', ipHeader + scriptBytes + allowance, ipHeader + actualBytes);
    const bit = (b: number, v: number): number => (v & b ? 1 : 0);
    return (
      lengthCheck ??
      check('tcp_data_offset', (TCP_HEADER + optLen(e.options) + allowance) / 4, (TCP_HEADER + optLen(a.options)) / 4) ??
      check('tcp_fin', bit(FIN, e.flags), bit(FIN, a.flags)) ??
      check('tcp_syn', bit(SYN, e.flags), bit(SYN, a.flags)) ??
      check('tcp_rst', bit(RST, e.flags), bit(RST, a.flags)) ??
      check('tcp_psh', bit(PSH, e.flags), bit(PSH, a.flags)) ??
      check('tcp_ack', bit(ACK, e.flags), bit(ACK, a.flags)) ??
      check('tcp_seq', e.seq, a.seq) ??
      check('tcp_ack_seq', e.ack, a.ack) ??
      (e.win === null ? null : check('tcp_window', e.win, a.win ?? 0)) ??
      (spec.options === null ? null : this.optionsMismatch(e.options, a.options))
    );
  }

  /** verify_outbound_live_tcp_options: same kinds in the same order, same values (TS val unchecked). */
  private optionsMismatch(e: readonly TcpOption[], a: readonly TcpOption[]): string | null {
    for (let i = 0; i < Math.max(e.length, a.length); i++) {
      const x = e[i];
      const y = a[i];
      if (x === undefined || y === undefined || x.kind !== y.kind) return 'bad outbound TCP options';
      if (x.kind === 'TS' || x.kind === 'nop' || x.kind === 'eol') continue;
      const same = JSON.stringify(x) === JSON.stringify(y);
      if (!same) return `bad value in outbound TCP option (kind=${OPTION_KIND[x.kind]}): expected: ${fmt(x)} actual: ${fmt(y)}`;
    }
    return null;
  }
}

const OPTION_KIND: Record<TcpOption['kind'], number> = { eol: 0, nop: 1, mss: 2, wscale: 3, sackOK: 4, sack: 5, TS: 8 };

function fmt(o: TcpOption): string {
  switch (o.kind) {
    case 'mss':
      return `mss ${o.value}`;
    case 'wscale':
      return `wscale ${o.value}`;
    case 'sack':
      return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
    default:
      return o.kind;
  }
}

function isAbsolute(t: EventTime): boolean {
  return t.kind === 'absolute' || t.kind === 'absolute-range';
}

function isInbound(ev: ScriptEvent): boolean {
  return ev.action.kind === 'packet' && ev.action.direction === 'inbound';
}

/** run.c event_description. */
function describe(ev: ScriptEvent): string {
  switch (ev.action.kind) {
    case 'packet':
      return ev.action.direction === 'inbound' ? 'inbound packet' : 'outbound packet';
    case 'syscall':
      return 'system call start';
    case 'command':
      return 'command';
    case 'code':
      return 'data collection for code';
  }
}

function secs(us: Micros): string {
  return (us / 1e6).toFixed(6);
}

function signedSecs(us: Micros): string {
  return `${us >= 0 ? '+' : ''}${(us / 1e6).toFixed(6)}`;
}

function intOption(line: number, name: string, v: string): number {
  if (!/^[0-9]+$/.test(v)) throw new ScriptError(line, `--${name}=${v}: expected an integer`);
  return Number(v);
}

function addr(text: string, flag: string): Ipv4 {
  const a = parseIpv4(text);
  if (a === null) throw new ScriptError(0, `${flag} ${text}: not an IPv4 address (the model's addresses are IPv4; use --ip-version 6 for IPv6 scripts)`);
  return a;
}
