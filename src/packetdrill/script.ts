// A packetdrill script as typed records: what parse.ts makes of the text and what the runner
// executes. The subset is the one Linux's teardown tests use (google/packetdrill
// gtests/net/tcp/close, shutdown, blocking): timed events that are TCP packets, system
// calls, backquoted shell commands (sysctl settings only) and %{ }% code checks.

/** When an event happens, in µs of script time. */
export type EventTime =
  | { kind: 'absolute'; usecs: number }
  | { kind: 'relative'; usecs: number }
  /** `*`: any time (outbound packets only). */
  | { kind: 'any' }
  | { kind: 'absolute-range'; usecs: number; end: number }
  | { kind: 'relative-range'; usecs: number; end: number };

/** One TCP option as the script writes it (and as a live segment is rendered). */
export type TcpOption =
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'TS'; val: number; ecr: number };

/** A TCP segment line: `< S. 0:0(0) ack 1 win 32792 <mss 1000,nop,wscale 7>`. */
export interface PacketSpec {
  kind: 'packet';
  direction: 'inbound' | 'outbound';
  /** Flags as written, e.g. "S.", "F.", "R", "P." ("" for `-`). */
  flags: string;
  seq: number;
  len: number;
  /** The ack number (0 when the script gives none). */
  ack: number;
  /** null: `win` not given (an outbound window is then not checked). */
  win: number | null;
  /** null: `<...>`, options not checked (outbound only); [] when none are written. */
  options: TcpOption[] | null;
}

/** A system-call argument or result. */
export type Expr =
  | { kind: 'int'; value: number }
  | { kind: 'word'; name: string }
  | { kind: 'string'; text: string }
  | { kind: 'ellipsis' }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'or'; lhs: Expr; rhs: Expr }
  | { kind: 'assign'; name: string; value: Expr }
  | { kind: 'linger'; onoff: number; linger: number }
  | { kind: 'pollfd'; fd: Expr; events: Expr; revents: Expr }
  /** `{...}` forms the subset does not model (sockaddr, msghdr...): refused when used. */
  | { kind: 'struct'; text: string };

/** `+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)`. */
export interface SyscallSpec {
  kind: 'syscall';
  name: string;
  args: Expr[];
  result: Expr;
  /** The errno name after the result, or null when the script does not check it. */
  errno: string | null;
  /** `...END`: a blocking call expected to return at END (relative like the start); null otherwise. */
  endUsecs: number | null;
}

/** A backquoted shell command (only sysctl settings are understood). */
export interface CommandSpec {
  kind: 'command';
  text: string;
}

/** `%{ ... }%`: Python code over the socket's tcp_info (only simple asserts are understood). */
export interface CodeSpec {
  kind: 'code';
  text: string;
}

export type Action = PacketSpec | SyscallSpec | CommandSpec | CodeSpec;

export interface ScriptEvent {
  /** 1-based line in the script file. */
  line: number;
  time: EventTime;
  action: Action;
}

/** `--name=value` lines at the top of a script. */
export interface ScriptOption {
  line: number;
  name: string;
  value: string | null;
}

export interface Script {
  options: ScriptOption[];
  /** The backquoted command before the first event, run before everything else. */
  initCommand: { line: number; text: string } | null;
  events: ScriptEvent[];
  /** A backquoted command after the last event, run at the end. */
  cleanupCommand: { line: number; text: string } | null;
}

/** A script the subset cannot read, with the line it is on (packetdrill prints "FILE:LINE: ..."). */
export class ScriptError extends Error {
  override readonly name = 'ScriptError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}
