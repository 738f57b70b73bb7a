// `twlab lab`: a scenario on this machine's kernel. Plans the namespaces (plan.ts), builds
// them (netns.ts), starts one agent per host (agents.ts, agent.ts), starts every agent's
// clock at one T0, samples the namespaces' sockets (sampler.ts) until the scenario's
// duration, collects the agents' reports and writes result JSON v1 with engine "lab".
//
// Whatever happens (success, an error, SIGINT/SIGTERM/SIGHUP) the agents are ended and the
// namespaces deleted before it returns; a run killed with SIGKILL leaves namespaces that
// the next run (or `twlab lab --cleanup`) removes, and agents that exit when their stdin
// closes.

import { execFileSync } from 'node:child_process';
import type { Scenario } from '../scenario/types.js';
import type { ClientResult, HostResult, ProxyResult, Result } from '../sim/result.js';
import { RESULT_FORMAT } from '../sim/result.js';
import { percentiles } from '../sim/run.js';
import { Samples } from '../sim/apps.js';
import { mibNamesFor } from '../tcp/mib.js';
import { TIMEWAIT_SOCK_BYTES } from '../tcp/profile.js';
import { Agent } from './agents.js';
import type { ClientReport, ErrorReport, FromAgent, ProxyReport } from './jobs.js';
import { buildTopology, checkRequirements, cleanupStale, LabSetupError, newRunId, removeNetns } from './netns.js';
import { planLab, type LabPlan } from './plan.js';
import { LabSampler, nonZero } from './sampler.js';
import { loadSockOpts } from './sockopt.js';

/** Peaks are sampled this often (ms); a slow look at a big table stretches the gap. */
const PEAK_SAMPLE_MS = 100;
/** Agents' clocks start this long after they are all ready, so that every one has the start message. */
const START_MARGIN_MS = 250;
/** Signals that end a run early, with clean-up. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface LabOptions {
  approximate?: boolean;
  /** A status line now and then. */
  onProgress?: (text: string) => void;
  /** Ends the run early (clean-up still happens); the run rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What lab says beside the result: what it changed and approximated, for people and JSON. */
export interface LabInfo {
  run_id: string;
  notes: string[];
  addresses: Record<string, { scenario: string; lab: string }>;
  peak_samples: number;
  peak_max_gap_s: number;
}

export type LabResult = Result & { lab: LabInfo };

/** The run ended early because of a signal; namespaces are gone. */
export class LabInterrupted extends Error {
  override readonly name = 'LabInterrupted';
  constructor(readonly signalName: string) {
    super(`interrupted by ${signalName}; the lab's namespaces and agents are removed`);
  }
}

export function kernelRelease(): string {
  return execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
}

export async function runLab(scenario: Scenario, options: LabOptions = {}): Promise<LabResult> {
  const release = kernelRelease();
  const runId = newRunId(process.pid, Math.random);
  const sockopts = (await loadSockOpts()) !== null;
  const plan = planLab(scenario, { runId, kernelRelease: release, approximate: options.approximate ?? false, sockopts });
  checkRequirements(plan.hosts.some((h) => h.nft !== ''));

  // Leftovers of runs that were killed (SIGKILL gives no chance to clean up).
  const stale = cleanupStale();
  if (stale.failed.length > 0) throw new LabSetupError(`cannot remove leftover namespaces ${stale.failed.join(', ')}; try twlab lab --cleanup`);

  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!abort.signal.aborted) abort.abort(new LabInterrupted(sig));
  };
  const outer = options.signal;
  const onOuter = (): void => abort.abort(outer?.reason);
  outer?.addEventListener('abort', onOuter, { once: true });
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  const agents: Agent[] = [];
  const netns = plan.hosts.map((h) => h.netns);
  // Last resort if the process exits some other way while namespaces exist.
  const onExit = (): void => {
    for (const a of agents) a.kill();
    removeNetns(netns);
  };
  process.on('exit', onExit);
  let result: LabResult | undefined;
  let error: unknown;
  try {
    options.onProgress?.(`lab ${scenario.name}: building ${plan.hosts.length} namespaces`);
    buildTopology(plan);
    throwIfAborted(abort.signal);
    for (const h of plan.hosts) agents.push(new Agent(h.name, h.netns));
    await Promise.all(agents.map((a, i) => a.configure(plan.hosts[i]!.agent, abort.signal)));
    result = await measure(scenario, plan, agents, release, abort.signal, options.onProgress);
  } catch (e) {
    error = e;
  }
  for (const a of agents) a.kill();
  const failed = removeNetns(netns);
  process.off('exit', onExit);
  for (const s of STOP_SIGNALS) process.off(s, onSignal);
  outer?.removeEventListener('abort', onOuter);
  if (failed.length > 0) throw new LabSetupError(`could not delete namespaces ${failed.join(', ')}; run twlab lab --cleanup`);
  if (error !== undefined || result === undefined) throw error;
  return result;
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

async function measure(
  scenario: Scenario,
  plan: LabPlan,
  agents: Agent[],
  release: string,
  signal: AbortSignal,
  onProgress: ((text: string) => void) | undefined,
): Promise<LabResult> {
  const sampler = new LabSampler(plan.hosts.map((h, i) => ({ host: h.name, pid: agents[i]!.pid, nat: scenario.hosts[i]!.nat !== undefined })));
  const t0 = wallMs() + START_MARGIN_MS;
  for (const a of agents) a.send({ type: 'start', t0 });
  const rel = (): number => wallMs() - t0;

  // One loop over the due times: peak ticks, series samples, snapshots, the end.
  const end = plan.durationMs;
  const seriesCount = Math.floor(end / plan.seriesMs + 1e-9) + 1;
  const snapshots = [...plan.snapshotsMs].sort((a, b) => a - b);
  let nextPeak = 0;
  let k = 0;
  let snap = 0;
  const maxLooks = Math.ceil(end / PEAK_SAMPLE_MS) + seriesCount + snapshots.length + 2;
  for (let looks = 0; looks < maxLooks; looks++) {
    const seriesDue = k < seriesCount ? k * plan.seriesMs : Infinity;
    const snapDue = snap < snapshots.length ? snapshots[snap]! : Infinity;
    const due = Math.min(nextPeak, seriesDue, snapDue, end);
    await sleep(due - rel(), signal);
    for (const a of agents) if (!a.alive) await a.receive('report', 0); // throws with the agent's last words
    const isSeries = seriesDue <= due;
    const at: number[] = [];
    while (snap < snapshots.length && snapshots[snap]! <= due) at.push(snapshots[snap++]!);
    const isEnd = due >= end;
    const started = rel();
    sampler.sample(isSeries ? seriesDue : due, { series: isSeries, snapshotAt: at, end: isEnd });
    if (isSeries) k++;
    if (isEnd) break;
    if (due >= nextPeak) nextPeak = Math.max(rel(), nextPeak) + Math.max(PEAK_SAMPLE_MS, 4 * (rel() - started));
    onProgress?.(`lab ${scenario.name}: ${(Math.max(0, rel()) / 1000).toFixed(1)} s of ${end / 1000} s on ${release}`);
  }
  // Series samples past the end (the model's last one is at the end itself).
  while (k < seriesCount) {
    sampler.sample(k * plan.seriesMs, { series: true });
    k++;
  }

  const reports = await Promise.all(agents.map((a) => a.report(signal)));
  return assemble(scenario, plan, reports, sampler, release);
}

type Report = Extract<FromAgent, { type: 'report' }>;

function assemble(scenario: Scenario, plan: LabPlan, reports: Report[], sampler: LabSampler, release: string): LabResult {
  const clientReports = new Map<number, ClientReport>();
  const proxyReports = new Map<number, ProxyReport>();
  for (const r of reports) {
    for (const c of r.clients) clientReports.set(c.index, c);
    for (const p of r.proxies) proxyReports.set(p.index, p);
  }
  const connectErrors = new Map<string, number[]>();
  const addErrors = (host: string, e: ErrorReport): void => {
    const col = connectErrors.get(host) ?? [];
    e.perInterval.forEach((n, i) => (col[i] = (col[i] ?? 0) + n));
    connectErrors.set(host, col);
  };

  const clients: ClientResult[] = scenario.clients.map((c, i) => {
    const r = clientReports.get(i)!;
    addErrors(c.host, r.errors);
    return {
      host: c.host,
      target: c.target.text,
      attempted: r.attempted,
      connected: r.connected,
      completed: r.completed,
      errors: r.errors.counts,
      errors_first_s: seconds(r.errors.firstMs),
      connect_ms: percentiles(samples(r.connectMs)),
      connect_probes: { p50: 0, p99: 0, max: 0 },
      ...(c.recordPorts ? { local_ports: r.localPorts } : {}),
    };
  });

  const proxies: ProxyResult[] = scenario.proxies.map((p, i) => {
    const r = proxyReports.get(i)!;
    return {
      host: p.host,
      requests: r.requests,
      failed: r.failed,
      upstreams: p.upstreams.map((u, k) => {
        const ur = r.upstreams[k]!;
        addErrors(p.host, ur.errors);
        return {
          target: u.text,
          attempted: ur.attempted,
          connected: ur.connected,
          errors: ur.errors.counts,
          errors_first_s: seconds(ur.errors.firstMs),
          reused: ur.reused,
          connect_probes: { p50: 0, p99: 0, max: 0 },
        };
      }),
    };
  });

  const modelled = mibNamesFor(plan.runningProfile ?? scenario.kernel);
  const hosts: Record<string, HostResult> = {};
  for (const h of scenario.hosts) {
    const t = sampler.host(h.name);
    hosts[h.name] = {
      states_end: nonZero(t.end ?? t.peak),
      states_peak: nonZero(t.peak),
      mib: sampler.mib(h.name, modelled),
      timewait_memory_bytes_peak: t.timewaitPeak * TIMEWAIT_SOCK_BYTES,
      bind_buckets_peak: t.portsPeak,
      ...(h.nat !== undefined ? { nat: sampler.natFigures(h.name) } : {}),
    };
  }

  return {
    format: RESULT_FORMAT,
    engine: 'lab',
    scenario: scenario.name,
    kernel: release,
    seed: scenario.seed,
    simulated_seconds: scenario.duration / 1_000_000,
    clients,
    proxies,
    hosts,
    snapshots: sampler.snapshots,
    integrity: null,
    series: sampler.series(plan.seriesMs, connectErrors),
    lab: {
      run_id: plan.runId,
      notes: plan.notes,
      addresses: plan.remapped,
      peak_samples: sampler.samples,
      peak_max_gap_s: Math.round(sampler.maxGapMs) / 1000,
    },
  };
}

function seconds(ms: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(ms)) out[k] = Math.max(0, Math.round(v)) / 1000;
  return out;
}

function samples(values: number[]): Samples {
  const s = new Samples();
  for (const v of values) s.push(v);
  return s;
}
