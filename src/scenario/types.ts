// The scenario as the model consumes it: scenario format v1 (../shared/spec/scenario-v1.md)
// parsed, validated and normalised once at the edge. Times are integer microseconds.

import type { KernelProfileName, Sysctls } from '../tcp/sysctl.js';

/** Simulated time and durations, in integer microseconds. */
export type Micros = number;

export type CloseMode = 'first' | 'after-peer' | 'never';
/** SO_LINGER: off, or on with a timeout in microseconds (0 = abortive close with RST). */
export type Linger = { on: false } | { on: true; timeout: Micros };

export interface HostSpec {
  name: string;
  /** Dotted-quad IPv4 address as written in the file. */
  address: string;
  /** The profile's defaults with the file's sysctl: entries applied. */
  sysctl: Sysctls;
  /** Only the names the file set explicitly (full sysctl(8) names), for the output. */
  sysctlSet: Record<string, string | number>;
  nat?: { inside: string[] };
  whatIf?: { timewaitLen?: Micros };
}

export interface LinkSpec {
  between: [string, string];
  delay: Micros;
  jitter: Micros;
  /** Probabilities 0..1, per segment, each direction. */
  loss: number;
  duplicate: number;
  reorder: number;
}

export type FaultAction = { kind: 'drop' } | { kind: 'delay'; by: Micros } | { kind: 'duplicate_after'; after: Micros };

export interface FaultSpec {
  from: string;
  to?: string;
  /** Exact flag set, letters from "SAFRP" in canonical order S A F R P, e.g. "A", "AF". */
  flags?: string;
  payload?: boolean;
  senderState?: string;
  nth?: number;
  count?: number;
  action: FaultAction;
}

export interface ServerSpec {
  host: string;
  port: number;
  close: CloseMode;
  linger: Linger;
  responseBytes: number;
  backlog: number;
}

/** address:port of a target; `host` set when the file named a host rather than an address. */
export interface Endpoint {
  address: string;
  port: number;
  host?: string;
  /** As written in the file, for the result JSON. */
  text: string;
}

export interface ClientSpec {
  host: string;
  target: Endpoint;
  count: number;
  /** Connections per second (open loop), or serial: each connect() when the previous close() returned. */
  rate: { kind: 'open'; perSecond: number } | { kind: 'serial' };
  start: Micros;
  close: Exclude<CloseMode, 'never'>;
  hold: Micros;
  requestBytes: number;
  linger: Linger;
  /** bind() before connect(): null = none; port 0 = any port. */
  bind: { address: string; port: number } | null;
  reuseaddr: boolean;
  recordPorts: boolean;
  /** SO_REUSEPORT on the client socket (extension). */
  reuseport: boolean;
  /** IP_BIND_ADDRESS_NO_PORT: with bind port 0, the port is chosen by connect() per destination (extension). */
  bindAddressNoPort: boolean;
}

export interface ProxySpec {
  host: string;
  port: number;
  upstreams: Endpoint[];
  upstreamClose: 'first' | 'after-peer';
  keepalive: number;
}

export interface Scenario {
  name: string;
  description?: string;
  kernel: KernelProfileName;
  seed: number;
  duration: Micros;
  hosts: HostSpec[];
  links: LinkSpec[];
  faults: FaultSpec[];
  servers: ServerSpec[];
  clients: ClientSpec[];
  proxies: ProxySpec[];
  snapshots: Micros[];
  /** Sample interval of the time series. */
  series: Micros;
  /** Where it came from, for messages: a path or "builtin:NAME". */
  source: string;
}
