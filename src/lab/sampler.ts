// Looks at each namespace's sockets and counters through /proc/PID/net/... of its agent
// (a process's /proc/PID/net shows the network namespace it lives in), and keeps what the
// result needs: states at the series and snapshot times and at the end, sampled peaks,
// MIB deltas, and a NAT host's conntrack figures.

import { existsSync, readFileSync } from 'node:fs';
import type { Series, Snapshot, StateMap } from '../sim/result.js';
import { TCP_STATES, type StateCounts } from '../tcp/state.js';
import type { SocketCensus } from './procnet.js';
import { census, mibDelta, parseConntrack, parseConntrackStat, parseMibTables, parseProcTcp, portRemapped } from './procnet.js';
import { appendSample } from '../sim/run.js';

export function readCensus(pid: number): SocketCensus {
  const text = readFileSync(`/proc/${pid}/net/tcp`, 'utf8');
  const v6 = `/proc/${pid}/net/tcp6`;
  const sockets = parseProcTcp(text);
  if (existsSync(v6)) sockets.push(...parseProcTcp(readFileSync(v6, 'utf8')));
  return census(sockets);
}

export function readMib(pid: number): Map<string, number> {
  const snmp = parseMibTables(readFileSync(`/proc/${pid}/net/snmp`, 'utf8'));
  for (const [k, v] of parseMibTables(readFileSync(`/proc/${pid}/net/netstat`, 'utf8'))) snmp.set(k, v);
  return snmp;
}

function readConntrackStat(pid: number): Map<string, number> | null {
  const path = `/proc/${pid}/net/stat/nf_conntrack`;
  return existsSync(path) ? parseConntrackStat(readFileSync(path, 'utf8')) : null;
}

export function nonZero(c: StateCounts): StateMap {
  const m: StateMap = {};
  for (const s of TCP_STATES) if (c[s] !== 0) m[s] = c[s];
  return m;
}

interface HostTrack {
  host: string;
  pid: number;
  nat: boolean;
  peak: StateCounts;
  timewaitPeak: number;
  portsPeak: number;
  end: StateCounts | null;
  mibBefore: Map<string, number>;
  mibAfter: Map<string, number> | null;
  /** Series columns: state -> value per sample. */
  series: Map<string, number[]>;
  conntrackPeak: number;
  conntrackEnd: number;
  /** Original tuples seen with a rewritten source port. */
  remapped: Set<string>;
  ctBefore: Map<string, number> | null;
  ctAfter: Map<string, number> | null;
}

export class LabSampler {
  private readonly hosts: HostTrack[];
  readonly seriesT: number[] = [];
  readonly snapshots: Snapshot[] = [];
  /** How many looks at the sockets were taken, and the longest gap between two. */
  samples = 0;
  maxGapMs = 0;
  private lastMs: number | null = null;

  constructor(hosts: { host: string; pid: number; nat: boolean }[]) {
    const zero = (): StateCounts => Object.fromEntries(TCP_STATES.map((s) => [s, 0])) as StateCounts;
    this.hosts = hosts.map((h) => ({
      ...h,
      peak: zero(),
      timewaitPeak: 0,
      portsPeak: 0,
      end: null,
      mibBefore: readMib(h.pid),
      mibAfter: null,
      series: new Map(),
      conntrackPeak: 0,
      conntrackEnd: 0,
      remapped: new Set(),
      ctBefore: h.nat ? readConntrackStat(h.pid) : null,
      ctAfter: null,
    }));
  }

  /** One look at every namespace at `tMs` into the run; what it is for decides where it goes. */
  sample(tMs: number, use: { series?: boolean; snapshotAt?: number[]; end?: boolean }): void {
    this.samples++;
    if (this.lastMs !== null) this.maxGapMs = Math.max(this.maxGapMs, tMs - this.lastMs);
    this.lastMs = tMs;
    const snapHosts: Record<string, StateMap> = {};
    const k = this.seriesT.length;
    for (const h of this.hosts) {
      const c = readCensus(h.pid);
      for (const s of TCP_STATES) h.peak[s] = Math.max(h.peak[s], c.states[s]);
      h.timewaitPeak = Math.max(h.timewaitPeak, c.timewait);
      h.portsPeak = Math.max(h.portsPeak, c.localPorts);
      if (h.nat) this.sampleConntrack(h);
      if (use.series) for (const s of TCP_STATES) appendSample(h.series, s, k, c.states[s]);
      snapHosts[h.host] = nonZero(c.states);
      if (use.end) {
        h.end = c.states;
        h.mibAfter = readMib(h.pid);
        if (h.nat) h.ctAfter = readConntrackStat(h.pid);
      }
    }
    if (use.series) this.seriesT.push(tMs);
    for (const at of use.snapshotAt ?? []) this.snapshots.push({ t: at / 1000, hosts: snapHosts });
  }

  private sampleConntrack(h: HostTrack): void {
    const stat = readConntrackStat(h.pid);
    const entries = stat?.get('entries') ?? 0;
    h.conntrackPeak = Math.max(h.conntrackPeak, entries);
    h.conntrackEnd = entries;
    const table = `/proc/${h.pid}/net/nf_conntrack`;
    if (!existsSync(table)) return;
    for (const e of parseConntrack(readFileSync(table, 'utf8'))) {
      if (portRemapped(e)) h.remapped.add(`${e.orig.src}:${e.orig.sport}>${e.orig.dst}:${e.orig.dport}`);
    }
  }

  host(name: string): HostTrack {
    return this.hosts.find((h) => h.host === name)!;
  }

  /** The MIB delta over the run: the given names first (zeros included), then any other TCP counter that moved. */
  mib(name: string, modelled: readonly string[]): Record<string, number> {
    const h = this.host(name);
    const delta = mibDelta(h.mibBefore, h.mibAfter ?? h.mibBefore);
    const out: Record<string, number> = {};
    for (const n of modelled) if (delta.has(n)) out[n] = delta.get(n)!;
    for (const [n, v] of delta) if (!(n in out) && v !== 0) out[n] = v;
    return out;
  }

  natFigures(name: string): { conntrack_end: number; conntrack_peak: number; remapped_ports: number; dropped: number } {
    const h = this.host(name);
    const d = (k: string): number => (h.ctAfter?.get(k) ?? 0) - (h.ctBefore?.get(k) ?? 0);
    return { conntrack_end: h.conntrackEnd, conntrack_peak: h.conntrackPeak, remapped_ports: h.remapped.size, dropped: d('drop') + d('insert_failed') };
  }

  series(intervalMs: number, connectErrors: Map<string, number[]>): Series {
    const n = this.seriesT.length;
    const hosts: Series['hosts'] = {};
    for (const h of this.hosts) {
      const o: Record<string, number[]> = {};
      for (const s of TCP_STATES) {
        const arr = h.series.get(s);
        if (arr !== undefined) o[s] = arr;
      }
      const errs = connectErrors.get(h.host) ?? [];
      const col = Array.from({ length: n }, (_, k) => errs[k] ?? 0);
      if (col.some((v) => v !== 0)) o['connect_errors'] = col;
      hosts[h.host] = o;
    }
    return { interval_s: intervalMs / 1000, t: this.seriesT.map((t) => Math.round(t) / 1000), hosts };
  }
}
