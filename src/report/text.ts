// Result -> the human report `twlab simulate` prints: what ran, then clients, proxies and
// hosts as small aligned tables, readable at 100 columns. A pure function; colour is an
// option the CLI turns on for a terminal.

import type { Scenario } from '../scenario/types.js';
import type { ClientResult, HostResult, Percentiles, ProxyResult, Result } from '../sim/result.js';
import { TCP_STATES } from '../tcp/state.js';
import { bytes, painter, visibleLength, wrap, type Paint, type Style } from './format.js';
import { verdict } from './verdict.js';

export { bytes };

export interface TextOptions {
  /** ANSI colour and bold; only for a terminal (the CLI decides). */
  color?: boolean;
  /** The scenario that ran: with it the report says what happened and why (verdict.ts). */
  scenario?: Scenario;
  /** Changes made on the command line (`KEY=VALUE`), named in the header. */
  changed?: readonly string[];
}

/** Sentences are wrapped to this width in the "What happened" block. */
const VERDICT_WIDTH = 100;

/** The counters worth a glance, in this order; the full set is in --json. */
export const KEY_COUNTERS = [
  'TcpActiveOpens',
  'TcpPassiveOpens',
  'TcpRetransSegs',
  'TcpExtTCPSynRetrans',
  'TcpExtTW',
  'TcpExtTWRecycled',
  'TcpExtTCPTimeWaitOverflow',
  'TcpExtPAWSPassive',
  'TcpExtTCPAbortOnData',
  'TcpExtTCPAbortOnClose',
  'TcpExtTCPChallengeACK',
  'TcpOutRsts',
] as const;

/** Widest sparkline; longer series are folded, each cell showing the maximum of its samples. */
export const SPARK_WIDTH = 60;
const SPARK = '▁▂▃▄▅▆▇█';


/** A table cell: its text, how to align it, and an optional style applied after padding. */
interface Cell {
  text: string;
  align?: 'left' | 'right';
  style?: Style;
}

export function renderText(result: Result, options: TextOptions = {}): string {
  const paint = painter(options.color);
  const blocks: string[][] = [header(result, options.changed ?? [], paint)];
  if (options.scenario) blocks.push(verdictBlock(verdict(result, options.scenario), paint));
  for (const client of result.clients) blocks.push(clientBlock(client, paint));
  for (const proxy of result.proxies) blocks.push(proxyBlock(proxy, paint));
  for (const [name, host] of Object.entries(result.hosts)) blocks.push(hostBlock(name, host, result, paint));
  if (result.integrity) blocks.push(integrityBlock(result.integrity, paint));
  return blocks.map((lines) => lines.join('\n')).join('\n\n') + '\n';
}

function header(result: Result, changed: readonly string[], paint: Paint): string[] {
  const ran =
    result.engine === 'simulate'
      ? `${seconds(result.simulated_seconds)} s simulated on the ${result.kernel} model`
      : `${seconds(result.simulated_seconds)} s on the real kernel ${result.kernel}`;
  const lines = [`${paint('bold', `Scenario ${result.scenario}`)}: ${ran}, seed ${result.seed}`];
  const knobs = Object.entries(result.what_if ?? {}).flatMap(([host, set]) =>
    Object.entries(set).map(([knob, value]) => `${host} ${knob}=${value}`),
  );
  if (changed.length > 0) lines.push(`Changed on the command line: ${changed.join(', ')}`);
  if (knobs.length > 0) {
    lines.push(paint('yellow', `What-if knobs (simulator only, not Linux behaviour): ${knobs.join(', ')}`));
  }
  return lines;
}

/** `What happened` and one bullet per sentence, wrapped with a hanging indent. */
function verdictBlock(sentences: readonly string[], paint: Paint): string[] {
  return [paint('bold', 'What happened'), ...sentences.flatMap((s) => wrap(s, VERDICT_WIDTH - 4).map((line, i) => (i === 0 ? '  - ' : '    ') + line))];
}


function clientBlock(client: ClientResult, paint: Paint): string[] {
  const failed = Object.values(client.errors).reduce((sum, n) => sum + n, 0);
  // Neither completed nor counted under an errno: ended without the full exchange (e.g. a
  // proxy that closed without a response), or still under way at the end.
  const noResponse = client.attempted - client.completed - failed;
  return [
    paint('bold', `Client ${client.host} → ${client.target}`),
    `  attempted ${client.attempted}, connected ${client.connected}, completed ${client.completed}` +
      (failed > 0 ? ', ' + paint('red', `failed ${failed}`) : '') +
      (noResponse > 0 ? `, no response ${noResponse}` : ''),
    `  errors: ${errorsText(client.errors, paint)}`,
    ...table(
      [
        [{ text: '' }, ...PERCENTILE_HEADINGS],
        [{ text: 'connect ms' }, ...percentileCells(client.connect_ms, milliseconds)],
        [{ text: 'connect probes' }, ...percentileCells(client.connect_probes, count)],
      ],
      paint,
    ),
  ];
}

function proxyBlock(proxy: ProxyResult, paint: Paint): string[] {
  const failed = proxy.failed > 0 ? paint('red', `${proxy.failed} failed`) : '0 failed';
  const heading = ['upstream', 'attempted', 'connected', 'reused', 'probes p50', 'p99', 'max', 'errors'];
  const rows: Cell[][] = [heading.map((text, i) => ({ text, align: i === 0 || i === 7 ? 'left' : 'right', style: 'dim' }))];
  for (const u of proxy.upstreams) {
    rows.push([
      { text: u.target },
      { text: count(u.attempted), align: 'right' },
      { text: count(u.connected), align: 'right' },
      { text: count(u.reused), align: 'right' },
      ...percentileCells(u.connect_probes, count),
      { text: errorsText(u.errors, paint) },
    ]);
  }
  return [`${paint('bold', `Proxy ${proxy.host}`)}: ${proxy.requests} requests, ${failed}`, ...table(rows, paint)];
}

function hostBlock(name: string, host: HostResult, result: Result, paint: Paint): string[] {
  const lines = [paint('bold', `Host ${name}`)];

  const states = TCP_STATES.filter((s) => (host.states_end[s] ?? 0) > 0 || (host.states_peak[s] ?? 0) > 0);
  if (states.length === 0) {
    lines.push('  no sockets');
  } else {
    const rows: Cell[][] = [[{ text: 'state', style: 'dim' }, { text: 'end', align: 'right', style: 'dim' }, { text: 'peak', align: 'right', style: 'dim' }]];
    for (const s of states) {
      rows.push([{ text: s }, { text: count(host.states_end[s] ?? 0), align: 'right' }, { text: count(host.states_peak[s] ?? 0), align: 'right' }]);
    }
    lines.push(...table(rows, paint));
  }

  // A host with no sockets at all (one that only masquerades) has nothing to say here.
  if (states.length > 0 || host.timewait_memory_bytes_peak > 0 || host.bind_buckets_peak > 0) {
    lines.push(`  timewait memory peak: ${bytes(host.timewait_memory_bytes_peak)}, local ports in use peak: ${host.bind_buckets_peak}`);
  }
  if (host.nat) {
    const n = host.nat;
    lines.push(
      `  NAT: conntrack peak ${n.conntrack_peak}, at end ${n.conntrack_end}; ${n.remapped_ports} source ports remapped, ` +
        `${n.dropped} segments dropped (no free port)`,
    );
  }
  const connects = connectLine(name, result, paint);
  if (connects) lines.push(connects);

  const counters = KEY_COUNTERS.filter((c) => (host.mib[c] ?? 0) !== 0);
  if (counters.length > 0) {
    const rows: Cell[][] = counters.map((c) => [
      { text: c },
      { text: count(host.mib[c] ?? 0), align: 'right', ...(WARNING_COUNTERS.has(c) ? { style: 'red' as const } : {}) },
    ]);
    lines.push(...table(rows, paint));
  }

  for (const key of ['TIME_WAIT', 'connect_errors'] as const) {
    const spark = seriesSparkline(name, key, result);
    if (spark) lines.push(`  ${spark}`);
  }
  return lines;
}

/**
 * `connect(): 89956 calls, EADDRNOTAVAIL 4488; probes p50 6, p99 28232, max 28232 (worst of 2)`:
 * every connect() made from the host, by its clients and its proxies' upstreams. Calls and
 * errors add up; percentiles do not, so with several targets each is the worst of them.
 */
function connectLine(name: string, result: Result, paint: Paint): string | undefined {
  const sources = [
    ...result.clients.filter((c) => c.host === name),
    ...result.proxies.filter((p) => p.host === name).flatMap((p) => p.upstreams),
  ];
  if (sources.length === 0) return undefined;
  const calls = sources.reduce((sum, s) => sum + s.attempted, 0);
  const errors: Record<string, number> = {};
  for (const s of sources) for (const [errno, n] of Object.entries(s.errors)) errors[errno] = (errors[errno] ?? 0) + n;
  const failed = Object.values(errors).some((n) => n !== 0);
  const worst = (k: keyof Percentiles) => Math.max(...sources.map((s) => s.connect_probes[k]));
  const targets = new Set(sources.map((s) => s.target)).size;
  const several = targets > 1 ? ` (worst of ${targets})` : sources.length > 1 ? ` (worst of ${sources.length} workloads)` : '';
  // No search worth a percentile: a bound port (0) or the first port tried (1).
  const probes = worst('max') <= 1 ? `probes max ${worst('max')}` : `probes p50 ${count(worst('p50'))}, p99 ${count(worst('p99'))}, max ${count(worst('max'))}${several}`;
  return `  connect(): ${calls} calls, ${failed ? errorsText(errors, paint) : 'no errors'}; ${probes}`;
}

/** Counters that mean something went wrong, not just that something happened. */
const WARNING_COUNTERS: ReadonlySet<string> = new Set(['TcpExtTCPTimeWaitOverflow', 'TcpExtPAWSPassive', 'TcpExtTCPAbortOnData']);

function integrityBlock(integrity: NonNullable<Result['integrity']>, paint: Paint): string[] {
  const parts = [
    `stale segments accepted ${integrity.stale_segments_accepted}`,
    `stale bytes ${integrity.stale_bytes_accepted}`,
    `resets from stale state ${integrity.resets_from_stale_state}`,
  ].join(', ');
  const bad = integrity.stale_segments_accepted + integrity.stale_bytes_accepted + integrity.resets_from_stale_state > 0;
  return [`${paint('bold', 'Integrity')} (simulator only): ${bad ? paint('red', parts) : parts}`];
}

/** `TIME_WAIT 0–90 s  ▁▂▄▆██▇  max 28232`, or undefined without a series or when it stays 0. */
function seriesSparkline(host: string, key: 'TIME_WAIT' | 'connect_errors', result: Result): string | undefined {
  const values = result.series?.hosts?.[host]?.[key];
  if (!values || values.length === 0) return undefined;
  const max = Math.max(...values);
  if (max <= 0) return undefined;
  const t = result.series.t;
  const span = t.length > 0 ? `${seconds(t[0] as number)}–${seconds(t[t.length - 1] as number)} s` : `${values.length} samples`;
  const label = key === 'TIME_WAIT' ? 'TIME_WAIT' : 'connect errors/interval';
  return `${label} ${span}  ${sparkline(values)}  max ${max}`;
}

/** One character per value (folded to at most `width` by taking maxima), ▁ for zero, █ for the maximum. */
export function sparkline(values: readonly number[], width = SPARK_WIDTH): string {
  const cells = values.length <= width ? [...values] : fold(values, width);
  const max = Math.max(0, ...cells);
  return cells
    .map((v) => {
      if (max === 0 || v <= 0) return SPARK[0];
      return SPARK[1 + Math.round((v / max) * (SPARK.length - 2))];
    })
    .join('');
}

function fold(values: readonly number[], width: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const from = Math.floor((i * values.length) / width);
    const to = Math.floor(((i + 1) * values.length) / width);
    out.push(Math.max(...values.slice(from, Math.max(to, from + 1))));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Cells and tables

const PERCENTILE_HEADINGS: Cell[] = ['p50', 'p99', 'max'].map((text) => ({ text, align: 'right', style: 'dim' }));

function percentileCells(p: Percentiles, format: (n: number) => string): Cell[] {
  return [p.p50, p.p99, p.max].map((n) => ({ text: format(n), align: 'right' }));
}

/** Non-zero errors by errno, `none` when there are none. */
function errorsText(errors: Record<string, number>, paint: Paint): string {
  const nonZero = Object.entries(errors).filter(([, n]) => n !== 0);
  if (nonZero.length === 0) return 'none';
  return nonZero.map(([errno, n]) => paint('red', `${errno} ${n}`)).join(', ');
}

/** Rows of cells -> lines indented by two, columns two apart, styles after padding. */
function table(rows: Cell[][], paint: Paint): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell.text))));
  return rows.map((row) => {
    const last = row.length - 1;
    const cells = row.map((cell, i) => {
      const gap = ' '.repeat((widths[i] ?? 0) - visibleLength(cell.text));
      // Left-aligned text in the last column needs no trailing padding.
      const padded = cell.align === 'right' ? gap + cell.text : i === last ? cell.text : cell.text + gap;
      return cell.style ? paint(cell.style, padded) : padded;
    });
    return ('  ' + cells.join('  ')).trimEnd();
  });
}

// ---------------------------------------------------------------------------------------
// Numbers

function count(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Milliseconds with about three significant digits: 0.105, 1.50, 30.1, 1000. */
export function milliseconds(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** Seconds without float noise: 90, 1.5, 0.25. */
function seconds(s: number): string {
  return String(Number(s.toFixed(3)));
}
