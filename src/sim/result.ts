// Result JSON v1 (../shared/spec/scenario-v1.md): what `simulate` and `lab` print with --json.
// A public contract: fields may be added, never renamed or removed.

import type { TcpState } from '../tcp/state.js';

export const RESULT_FORMAT = 'twlab-result/1';

/** Socket counts by state; states with zero sockets may be left out. */
export type StateMap = Partial<Record<TcpState, number>>;

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export interface ClientResult {
  host: string;
  target: string;
  attempted: number;
  connected: number;
  completed: number;
  /** connect() and connection errors by errno name; the four main ones always present. */
  errors: Record<string, number>;
  /** When each errno first happened, seconds into the run (twlab extension). */
  errors_first_s: Record<string, number>;
  /** Time from connect() to ESTABLISHED, milliseconds, over connected attempts. */
  connect_ms: Percentiles;
  /** Candidate ports the connect() port search examined (twlab extension). */
  connect_probes: Percentiles;
  /** Only with record_ports: every local port used, in order. */
  local_ports?: number[];
}

export interface UpstreamResult {
  target: string;
  attempted: number;
  connected: number;
  errors: Record<string, number>;
  /** When each errno first happened, seconds into the run (twlab extension). */
  errors_first_s: Record<string, number>;
  /** Requests served on a pooled (keep-alive) connection. */
  reused: number;
  connect_probes: Percentiles;
}

export interface ProxyResult {
  host: string;
  requests: number;
  failed: number;
  upstreams: UpstreamResult[];
}

export interface HostResult {
  states_end: StateMap;
  states_peak: StateMap;
  /** nstat names; every modelled counter, zeros included. */
  mib: Record<string, number>;
  timewait_memory_bytes_peak: number;
  /** The most local ports in use at once (bind buckets; twlab extension). */
  bind_buckets_peak: number;
  /** Only on a host that masquerades (twlab extension). */
  nat?: {
    conntrack_end: number;
    /** The most connections tracked at a series sample. */
    conntrack_peak: number;
    /** New connections whose source port clashed with another's and was rewritten. */
    remapped_ports: number;
    /** Segments dropped for want of a free port. */
    dropped: number;
  };
}

export interface Snapshot {
  t: number;
  hosts: Record<string, StateMap>;
}

export interface Integrity {
  stale_segments_accepted: number;
  stale_bytes_accepted: number;
  resets_from_stale_state: number;
}

export interface Series {
  interval_s: number;
  t: number[];
  /** host -> series name (a state, or e.g. "connect_errors") -> one value per sample. */
  hosts: Record<string, Record<string, number[]>>;
}

export interface Result {
  format: typeof RESULT_FORMAT;
  engine: 'simulate' | 'lab';
  scenario: string;
  kernel: string;
  seed: number;
  simulated_seconds: number;
  clients: ClientResult[];
  proxies: ProxyResult[];
  hosts: Record<string, HostResult>;
  snapshots: Snapshot[];
  integrity: Integrity | null;
  series: Series;
  /** Simulator-only knobs in use (what_if), said so that nobody mistakes the run for Linux. */
  what_if?: Record<string, Record<string, string>>;
}
