// What the parent tells an agent to run in its namespace, and what the agent reports back.
// Plain JSON records: they travel as one line each over the agent's stdin and stdout.
// Times are milliseconds (floats) from the run's start (T0), which the parent sends.

/**
 * How a listener learns how long a request is (scenario v1 leaves the framing to the
 * application). `fixed`: every sender towards this listener sends the same number of bytes,
 * known from the scenario. `framed`: requests differ; each starts with its own length (the
 * whole request, header included) as a 4-byte big-endian integer, so they are all >= 4 bytes.
 */
export type RequestFraming = { kind: 'fixed'; bytes: number } | { kind: 'framed' };

/** Bytes of the length header of a framed request. */
export const FRAME_HEADER_BYTES = 4;

export interface ServerJob {
  /** Index in scenario.servers. */
  index: number;
  port: number;
  close: 'first' | 'after-peer' | 'never';
  /** SO_LINGER: null = off, else seconds (0 = abortive close with RST). */
  linger: number | null;
  responseBytes: number;
  backlog: number;
  framing: RequestFraming;
}

export interface ClientJob {
  index: number;
  target: { address: string; port: number };
  count: number;
  rate: { kind: 'open'; perSecond: number } | { kind: 'serial' };
  startMs: number;
  close: 'first' | 'after-peer';
  holdMs: number;
  requestBytes: number;
  /** The target's response length (a server's response_bytes, through proxies). */
  responseBytes: number;
  linger: number | null;
  /** bind() before connect(); address already in lab address space. */
  bind: { address: string; port: number } | null;
  reuseaddr: boolean;
  reuseport: boolean;
  bindAddressNoPort: boolean;
  recordPorts: boolean;
  /**
   * Build the socket with socket()/setsockopt()/bind() through the FFI (sockopt.ts) rather
   * than Node's net, so that SO_REUSEADDR, SO_REUSEPORT and IP_BIND_ADDRESS_NO_PORT are
   * exactly as the scenario says. Node's net.connect cannot leave SO_REUSEADDR off when it
   * binds (libuv sets it on every bind) nor set the other two.
   */
  raw: boolean;
}

export interface UpstreamJob {
  address: string;
  port: number;
  responseBytes: number;
}

export interface ProxyJob {
  index: number;
  port: number;
  upstreams: UpstreamJob[];
  upstreamClose: 'first' | 'after-peer';
  keepalive: number;
  framing: RequestFraming;
}

export interface SysctlWrite {
  /** Full sysctl(8) name, for messages. */
  name: string;
  /** /proc/sys/... path, read through the agent's own network namespace. */
  path: string;
  value: string;
}

export interface AgentConfig {
  host: string;
  /** Written by the agent inside its namespace before anything listens or connects. */
  sysctls: SysctlWrite[];
  /** connect errors are counted per series interval, as the model's sampler does. */
  seriesIntervalMs: number;
  /** The scenario's duration: no connection starts after it, and the report is what was counted at it. */
  durationMs: number;
  servers: ServerJob[];
  clients: ClientJob[];
  proxies: ProxyJob[];
}

/** Errors by errno name with the time each first happened and per-interval counts. */
export interface ErrorReport {
  counts: Record<string, number>;
  firstMs: Record<string, number>;
  /** Index k counts the errors in ((k-1)·interval, k·interval], k = 0 for t <= 0. */
  perInterval: number[];
}

export interface ClientReport {
  index: number;
  attempted: number;
  connected: number;
  completed: number;
  errors: ErrorReport;
  connectMs: number[];
  localPorts: number[];
}

export interface UpstreamReport {
  attempted: number;
  connected: number;
  reused: number;
  errors: ErrorReport;
}

export interface ProxyReport {
  index: number;
  requests: number;
  failed: number;
  upstreams: UpstreamReport[];
}

/** Parent -> agent, one JSON line each. */
export type ToAgent =
  /** hostNetns: the inode of the parent's network namespace, where the agent must not be. */
  | { type: 'config'; config: AgentConfig; hostNetns: number }
  | { type: 'start'; t0: number }
  | { type: 'stop' };

/** Agent -> parent, one JSON line each. */
export type FromAgent =
  | { type: 'ready'; pid: number; netns: number }
  | { type: 'report'; clients: ClientReport[]; proxies: ProxyReport[] }
  | { type: 'error'; message: string };
