// `twlab simulate`: build the world of a scenario, run it to its duration, and report in
// result JSON v1. Deterministic: the same scenario and seed give the same result.

import type { Due } from '../engine/queue.js';
import type { Micros } from '../engine/time.js';
import { SEC } from '../engine/time.js';
import { formatDuration } from '../scenario/units.js';
import type { Scenario } from '../scenario/types.js';
import { mibNamesFor } from '../tcp/mib.js';
import { TIMEWAIT_SOCK_BYTES } from '../tcp/profile.js';
import { TCP_STATES } from '../tcp/state.js';
import type { StateCounts } from '../tcp/state.js';
import type { Samples } from './apps.js';
import { ClientWorkload, ProxyApp, ServerApp } from './apps.js';
import type { HostResult, Percentiles, Result, Snapshot, StateMap } from './result.js';
import { RESULT_FORMAT } from './result.js';
import type { Ladder, Opens, TraceSpec, Unrecorded } from './trace.js';
import { Tracer } from './trace.js';
import { World } from './world.js';

export interface SimulateOptions {
  /** Called now and then with simulated time done and total (microseconds). */
  onProgress?: (done: Micros, total: Micros) => void;
  /** Record packet ladders (and new connections per interval) for the report; off when absent. */
  trace?: TraceSpec;
}

/** Everything a run produced, for the result and for callers that want more (benchmarks). */
export interface Run {
  result: Result;
  world: World;
  events: number;
  /** With `trace`: the recorded ladders, in order of first appearance; otherwise empty. */
  ladders: Ladder[];
  /** With `trace`: new connections per series interval per host. */
  opens?: Opens;
  /** With `trace`: connections with an RST or a drop that have no ladder (for --trace). */
  unrecorded?: Unrecorded[];
}

export function simulate(scenario: Scenario, options: SimulateOptions = {}): Result {
  return run(scenario, options).result;
}

export function run(scenario: Scenario, options: SimulateOptions = {}): Run {
  const world = new World(scenario);
  const tracer = options.trace !== undefined ? new Tracer(world, options.trace) : null;
  tracer?.attach();
  const clients = scenario.clients.map((c) => new ClientWorkload(world, c));
  const servers = scenario.servers.map((s) => new ServerApp(world, s));
  const proxies = scenario.proxies.map((p) => new ProxyApp(world, p));
  for (const s of servers) s.start();
  for (const p of proxies) p.start();
  for (const c of clients) c.start();

  const sampler = new Sampler(world, clients, proxies, scenario.series, scenario.duration);
  const snapshots = new Snapshots(world, scenario.snapshots);
  sampler.start();
  snapshots.start();

  const q = world.queue;
  const total = scenario.duration;
  const step = Math.max(1, Math.ceil(total / 200));
  for (let t = 0; t < total; ) {
    t = Math.min(total, t + step);
    q.runUntil(t);
    options.onProgress?.(t, total);
  }

  const result: Result = {
    format: RESULT_FORMAT,
    engine: 'simulate',
    scenario: scenario.name,
    kernel: scenario.kernel,
    seed: scenario.seed,
    simulated_seconds: total / SEC,
    clients: clients.map((c) => ({
      host: c.spec.host,
      target: c.spec.target.text,
      attempted: c.attempted,
      connected: c.connected,
      completed: c.completed,
      errors: c.errors.counts,
      errors_first_s: c.errors.first,
      connect_ms: percentiles(c.connectMs),
      connect_probes: percentiles(c.probes),
      ...(c.spec.recordPorts ? { local_ports: c.localPorts } : {}),
    })),
    proxies: proxies.map((p) => ({
      host: p.spec.host,
      requests: p.requests,
      failed: p.failed,
      upstreams: p.upstreams.map((u) => ({
        target: u.endpoint.text,
        attempted: u.attempted,
        connected: u.connected,
        errors: u.errors.counts,
        errors_first_s: u.errors.first,
        reused: u.reused,
        connect_probes: percentiles(u.probes),
      })),
    })),
    hosts: hostResults(world),
    snapshots: snapshots.taken,
    integrity: integrity(world),
    series: sampler.series(),
  };
  const whatIf = whatIfs(scenario);
  if (whatIf !== undefined) result.what_if = whatIf;
  const trace = tracer?.finish(result.series);
  return { result, world, events: q.fired, ladders: trace?.ladders ?? [], ...(trace !== undefined ? { opens: trace.opens, unrecorded: trace.unrecorded } : {}) };
}

function nonZero(c: StateCounts): StateMap {
  const m: StateMap = {};
  for (const s of TCP_STATES) if (c[s] !== 0) m[s] = c[s];
  return m;
}

function hostResults(world: World): Record<string, HostResult> {
  const out: Record<string, HostResult> = {};
  for (const [name, h] of world.hosts) {
    const mib: Record<string, number> = {};
    for (const n of mibNamesFor(h.profile.name)) mib[n] = h.mib[n];
    out[name] = {
      states_end: nonZero(h.states),
      states_peak: nonZero(h.statesPeak),
      mib,
      timewait_memory_bytes_peak: h.timewaitPeak * TIMEWAIT_SOCK_BYTES,
      bind_buckets_peak: h.binds.peak,
    };
    const nat = world.nats.get(name);
    if (nat !== undefined) {
      out[name]!.nat = { conntrack_end: nat.sweep(), conntrack_peak: nat.stats.conntrackPeak, remapped_ports: nat.stats.remapped, dropped: nat.stats.dropped };
    }
  }
  return out;
}

function integrity(world: World): Result['integrity'] {
  const r = { stale_segments_accepted: 0, stale_bytes_accepted: 0, resets_from_stale_state: 0 };
  for (const h of world.hosts.values()) {
    r.stale_segments_accepted += h.integrity.staleSegmentsAccepted;
    r.stale_bytes_accepted += h.integrity.staleBytesAccepted;
    r.resets_from_stale_state += h.integrity.resetsFromStaleState;
  }
  return r;
}

function whatIfs(s: Scenario): Result['what_if'] {
  let out: Record<string, Record<string, string>> | undefined;
  for (const h of s.hosts) {
    if (h.whatIf?.timewaitLen === undefined) continue;
    out ??= {};
    out[h.name] = { timewait_len: formatDuration(h.whatIf.timewaitLen) };
  }
  return out;
}

/** p50/p99/max by the nearest-rank method; zeros when there are no samples. */
export function percentiles(samples: Samples): Percentiles {
  const n = samples.length;
  if (n === 0) return { p50: 0, p99: 0, max: 0 };
  const rank = (p: number): number => Math.min(n - 1, Math.ceil((p / 100) * n) - 1);
  const [p50, p99] = samples.ranks(rank(50), rank(99));
  return { p50: round3(p50), p99: round3(p99), max: round3(samples.max()) };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Samples every host's socket states (and connect errors) at fixed intervals, t = 0 included. */
class Sampler implements Due {
  private readonly t: number[] = [];
  private readonly data = new Map<string, Map<string, number[]>>();
  private samples = 0;

  constructor(
    private readonly world: World,
    private readonly clients: ClientWorkload[],
    private readonly proxies: ProxyApp[],
    private readonly interval: Micros,
    private readonly end: Micros,
  ) {
    for (const name of world.hosts.keys()) this.data.set(name, new Map());
  }

  start(): void {
    this.world.queue.at(0, this, 0);
  }

  fire(now: Micros): void {
    const k = this.samples++;
    for (const nat of this.world.nats.values()) nat.sweep();
    this.t.push(now / SEC);
    for (const [name, h] of this.world.hosts) {
      const m = this.data.get(name)!;
      for (const s of TCP_STATES) appendSample(m, s, k, h.states[s]);
      let errors = 0;
      for (const c of this.clients) {
        if (c.spec.host === name) {
          errors += c.errors.interval;
          c.errors.interval = 0;
        }
      }
      for (const p of this.proxies) {
        if (p.spec.host !== name) continue;
        for (const u of p.upstreams) {
          errors += u.errors.interval;
          u.errors.interval = 0;
        }
      }
      appendSample(m, 'connect_errors', k, errors);
    }
    const next = now + this.interval;
    if (next <= this.end) this.world.queue.at(next, this, 0);
  }



  series(): Result['series'] {
    const hosts: Record<string, Record<string, number[]>> = {};
    for (const [name, m] of this.data) {
      const o: Record<string, number[]> = {};
      for (const key of [...TCP_STATES, 'connect_errors']) {
        const arr = m.get(key);
        if (arr !== undefined) o[key] = arr;
      }
      hosts[name] = o;
    }
    return { interval_s: this.interval / SEC, t: this.t, hosts };
  }
}

/** Records every host's non-zero socket states at the scenario's snapshot times. */
class Snapshots implements Due {
  readonly taken: Snapshot[] = [];
  constructor(
    private readonly world: World,
    private readonly times: Micros[],
  ) {}
  start(): void {
    for (const [i, t] of this.times.entries()) this.world.queue.at(t, this, i);
  }
  fire(now: Micros): void {
    const hosts: Record<string, StateMap> = {};
    for (const [name, h] of this.world.hosts) hosts[name] = nonZero(h.states);
    this.taken.push({ t: now / SEC, hosts });
  }
}

/**
 * Append sample `k` of series `key`: a series stays absent until its first non-zero value,
 * then is back-filled with zeros (so results leave out states a host never had). Lab samples
 * the real kernel the same way.
 */
export function appendSample(m: Map<string, number[]>, key: string, k: number, v: number): void {
  let arr = m.get(key);
  if (arr === undefined) {
    if (v === 0) return;
    arr = new Array<number>(k).fill(0);
    m.set(key, arr);
  }
  arr.push(v);
}
