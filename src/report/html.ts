// Result -> one self-contained HTML file (`twlab simulate --html FILE`): the header and the
// verdict, charts over time per host, the connect() figures, each host's sockets and
// counters, and packet ladders. Inline CSS, SVG and a little JavaScript (hover values,
// legend toggles); nothing is fetched, so the file opens offline and can be attached to a
// ticket. It prints: every chart and ladder is static SVG, the script only adds to it.
//
// Made for a second result beside the first: `{ model, kernel }` (twlab compare) draws the
// kernel's series dashed over the model's and gives each table a kernel column.

import type { Scenario } from '../scenario/types.js';
import type { ClientResult, Percentiles, Result, UpstreamResult } from '../sim/result.js';
import type { Opens, Unrecorded } from '../sim/trace.js';
import { TCP_STATES, type TcpState } from '../tcp/state.js';
import type { ChartData, ChartSeries } from './chart-svg.js';
import { chartSvg, compact } from './chart-svg.js';
import { bytes } from './format.js';
import type { ChosenLadder } from './ladder.js';
import { ms, NO_LADDER, traceArg } from './ladder.js';
import { LADDER_CSS, ladderSvg } from './ladder-svg.js';
import { ERROR_COLOR, INK, MUTED, STATE_COLOR, WARN_COLOR } from './palette.js';
import { esc, n } from './svg.js';
import { KEY_COUNTERS, milliseconds } from './text.js';
import { count, verdict } from './verdict.js';

/** The results a report shows: the model's, and optionally the real kernel's beside it. */
export interface HtmlResults {
  model: Result;
  kernel?: Result;
}

export interface HtmlOptions {
  /** The scenario that ran: with it the report says what happened (verdict.ts) and describes it. */
  scenario?: Scenario;
  /** Changes made on the command line (`KEY=VALUE`). */
  changed?: readonly string[];
  /** Packet ladders of the model's run to draw (report/ladder.ts chooseLadders). */
  ladders?: readonly ChosenLadder[];
  /** What to say when `ladders` is empty (default NO_LADDER). */
  noLadder?: string;
  /** The model's new connections per interval (from a traced run), for the "new connections/s" chart. */
  opens?: Opens;
  /** Connections with an RST or a drop that have no ladder: named, with the --trace that draws them. */
  unrecorded?: readonly Unrecorded[];
  /** twlab's version, named in the footer. */
  version?: string;
}

type Side = 'model' | 'kernel';

export function renderHtml(results: HtmlResults, options: HtmlOptions = {}): string {
  const model = results.model;
  const sides: [Side, Result][] = [['model', model]];
  if (results.kernel !== undefined) sides.push(['kernel', results.kernel]);
  const charts: Record<string, ChartData> = {};
  const body = [
    header(sides, options),
    verdictSection(sides, options),
    timeSection(sides, options, charts),
    connectSection(sides),
    hostsSection(sides),
    ladderSection(model, options),
    footer(options),
  ].join('\n');
  const title = `twlab: ${model.scenario}`;
  // JSON inside <script>: no "</script>" can end it early.
  const json = JSON.stringify(charts).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="twlab${options.version !== undefined ? ` ${esc(options.version)}` : ''}">
<title>${esc(title)}</title>
<style>${PAGE_CSS}${LADDER_CSS}</style>
</head>
<body>
${body}
<div id="tip" role="status" hidden></div>
<script type="application/json" id="chart-data">${json}</script>
<script>${PAGE_JS}</script>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------
// Header and verdict

function header(sides: [Side, Result][], options: HtmlOptions): string {
  const model = sides[0]![1];
  const two = sides.length > 1;
  const row = (name: string, f: (r: Result) => string): string => `<tr><th>${esc(name)}</th>${sides.map(([, r]) => `<td>${esc(f(r))}</td>`).join('')}</tr>`;
  const rows = [
    two ? `<tr><th></th>${sides.map(([side]) => `<th>${side}</th>`).join('')}</tr>` : '',
    row('engine', (r) => (r.engine === 'simulate' ? 'twlab simulate (the model)' : 'twlab lab (the real kernel)')),
    row('kernel', (r) => (r.engine === 'simulate' ? `${r.kernel} profile` : r.kernel)),
    row('seed', (r) => String(r.seed)),
    row('simulated', (r) => `${seconds(r.simulated_seconds)} s`),
  ];
  if (options.changed !== undefined && options.changed.length > 0) {
    rows.push(`<tr><th>changed</th><td colspan="${sides.length}">${esc(`on the command line: ${options.changed.join(', ')}`)}</td></tr>`);
  }
  const knobs = Object.entries(model.what_if ?? {}).flatMap(([host, set]) => Object.entries(set).map(([k, v]) => `${host} ${k}=${v}`));
  const description = options.scenario?.description;
  return `<header>
<h1>Scenario <span class="name">${esc(model.scenario)}</span></h1>
${description !== undefined ? `<p class="description">${esc(description.trim())}</p>` : ''}
<table class="meta">${rows.join('')}</table>
${knobs.length > 0 ? `<p class="knobs"><strong>What-if knobs (simulator only, not Linux behaviour):</strong> ${esc(knobs.join(', '))}</p>` : ''}
</header>`;
}

function verdictSection(sides: [Side, Result][], options: HtmlOptions): string {
  const scenario = options.scenario;
  if (scenario === undefined) return '';
  const columns = sides.map(([side, r]) => {
    const items = verdict(r, scenario)
      .map((s) => `<li>${esc(s)}</li>`)
      .join('');
    return `<div>${sides.length > 1 ? `<h3>${side}</h3>` : ''}<ul>${items}</ul></div>`;
  });
  const integrity = sides
    .map(([side, r]) => (r.integrity === null ? '' : integrityLine(r.integrity, sides.length > 1 ? side : '')))
    .filter((s) => s !== '')
    .join('');
  return `<section id="verdict"><h2>What happened</h2><div class="columns c${sides.length}">${columns.join('')}</div>${integrity}</section>`;
}

function integrityLine(i: NonNullable<Result['integrity']>, side: string): string {
  const bad = i.stale_segments_accepted + i.stale_bytes_accepted + i.resets_from_stale_state > 0;
  const text = `stale segments accepted ${i.stale_segments_accepted}, stale bytes ${i.stale_bytes_accepted}, resets from stale state ${i.resets_from_stale_state}`;
  return `<p class="integrity${bad ? ' bad' : ''}"><strong>Integrity${side !== '' ? ` (${side})` : ''}</strong> (what only a simulator can see): ${esc(text)}</p>`;
}

// ---------------------------------------------------------------------------------------
// Charts over time

function timeSection(sides: [Side, Result][], options: HtmlOptions, charts: Record<string, ChartData>): string {
  const model = sides[0]![1];
  const hosts = Object.keys(model.hosts);
  const xMax = Math.max(...sides.map(([, r]) => r.simulated_seconds));
  const cards: string[] = [];
  for (const [i, host] of hosts.entries()) {
    const figures: string[] = [];
    const states = statesOf(sides, host);
    if (states.length > 0) {
      const series: ChartSeries[] = [];
      for (const [side, r] of sides) {
        for (const s of states) {
          const values = r.series.hosts[host]?.[s];
          if (values === undefined) continue;
          series.push({ key: s, label: side === 'model' ? s : `${s} (${side})`, color: STATE_COLOR[s], dashed: side === 'kernel', t: r.series.t, values });
        }
      }
      figures.push(chartFigure(`h${i}-states`, 'Sockets by state', 'sockets', series, xMax, charts, states.map((s) => [s, STATE_COLOR[s]])));
    }
    const opens = openSeries(options.opens, host);
    if (opens.length > 0) {
      figures.push(
        chartFigure(
          `h${i}-opens`,
          'New connections per second (model)',
          'per second',
          opens,
          xMax,
          charts,
          opens.map((s) => [s.key, s.color]),
          opens.map((s) => s.label),
        ),
      );
    }
    const errorSeries: ChartSeries[] = [];
    for (const [side, r] of sides) {
      const values = r.series.hosts[host]?.['connect_errors'];
      if (values === undefined || !values.some((v) => v > 0)) continue;
      errorSeries.push({ key: 'connect_errors', label: side === 'model' ? 'connect errors' : `connect errors (${side})`, color: ERROR_COLOR, dashed: side === 'kernel', t: r.series.t, values, bars: true });
    }
    if (errorSeries.length > 0) {
      const per = model.series.interval_s;
      figures.push(chartFigure(`h${i}-errors`, `connect() errors per ${seconds(per)} s`, 'errors', errorSeries, xMax, charts, [['connect_errors', ERROR_COLOR]], ['connect errors']));
    }
    if (figures.length === 0) continue;
    cards.push(`<div class="host"><h3>${esc(host)}</h3><div class="figures">${figures.join('')}</div></div>`);
  }
  if (cards.length === 0) return '';
  const few = model.series.t.length < 6;
  const note =
    `Sampled every ${seconds(model.series.interval_s)} s.` +
    (few ? ` Only ${model.series.t.length} samples: a shorter series interval in the scenario (e.g. series: ${shorterInterval(model)}) draws more.` : '') +
    (sides.length > 1 ? ' Solid: the model; dashed: the real kernel.' : '') +
    ' Hover a chart for its values; click a legend entry to hide or show it (the scale follows).';
  return `<section id="time"><h2>Over time</h2><p class="note">${esc(note)}</p>${cards.join('')}</section>`;
}

/** About 50 samples over the run, as a scenario duration: `20ms`, `2s`. */
function shorterInterval(r: Result): string {
  const ms = Math.max(1, Math.round((r.simulated_seconds * 1000) / 50));
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** connect() calls and accepted connections per second on `host`, when the run was traced. */
function openSeries(opens: Opens | undefined, host: string): ChartSeries[] {
  const counts = opens?.hosts[host];
  if (opens === undefined || counts === undefined) return [];
  const rate = (v: readonly number[]): number[] => v.map((x) => x / opens.interval_s);
  const series: ChartSeries[] = [];
  if (counts.connect.some((v) => v > 0)) series.push({ key: 'connect', label: 'connect() per second', color: INK, t: opens.t, values: rate(counts.connect) });
  if (counts.accept.some((v) => v > 0)) series.push({ key: 'accept', label: 'accepted per second', color: STATE_COLOR.SYN_RECV, t: opens.t, values: rate(counts.accept) });
  return series;
}

/** States any side's series has for the host, LISTEN and CLOSE left out (nothing to watch there). */
function statesOf(sides: [Side, Result][], host: string): TcpState[] {
  return TCP_STATES.filter((s) => s !== 'LISTEN' && s !== 'CLOSE' && sides.some(([, r]) => (r.series.hosts[host]?.[s] ?? []).some((v) => v > 0)));
}

function chartFigure(
  id: string,
  title: string,
  unit: string,
  series: ChartSeries[],
  xMax: number,
  charts: Record<string, ChartData>,
  legend: [string, string][],
  labels?: string[],
): string {
  const { svg, data } = chartSvg({ id, unit, series, xMax });
  charts[id] = data;
  const buttons = legend
    .map(([key, color], i) => {
      const label = labels?.[i] ?? key;
      const peak = Math.max(0, ...series.filter((s) => s.key === key && !s.dashed).flatMap((s) => s.values));
      return `<button type="button" data-chart="${esc(id)}" data-key="${esc(key)}" aria-pressed="true"><span class="swatch" style="background:${color}"></span>${esc(label)} <span class="peak">max ${esc(compact(peak))}</span></button>`;
    })
    .join('');
  return `<figure class="chart-fig"><figcaption>${esc(title)}</figcaption>${svg}<div class="legend">${buttons}</div></figure>`;
}

// ---------------------------------------------------------------------------------------
// Tables

interface ConnectRow {
  who: string;
  attempted: number;
  connected: number;
  errors: Record<string, number>;
  connectMs: Percentiles | null;
  probes: Percentiles;
}

function connectRows(r: Result): ConnectRow[] {
  const rows: ConnectRow[] = r.clients.map((c: ClientResult) => ({
    who: `${c.host} → ${c.target}`,
    attempted: c.attempted,
    connected: c.connected,
    errors: c.errors,
    connectMs: c.connect_ms,
    probes: c.connect_probes,
  }));
  for (const p of r.proxies) {
    rows.push(
      ...p.upstreams.map((u: UpstreamResult) => ({
        who: `${p.host} → ${u.target}`,
        attempted: u.attempted,
        connected: u.connected,
        errors: u.errors,
        connectMs: null,
        probes: u.connect_probes,
      })),
    );
  }
  return rows;
}

function connectSection(sides: [Side, Result][]): string {
  const perSide = sides.map(([side, r]) => [side, connectRows(r)] as const);
  const maxProbes = Math.max(1, ...perSide.flatMap(([, rows]) => rows.map((x) => x.probes.max)));
  const body: string[] = [];
  const connectors = perSide[0]![1].length;
  for (let i = 0; i < connectors; i++) {
    for (const [side, rows] of perSide) {
      const x = rows[i];
      if (x === undefined) continue;
      const errors = Object.entries(x.errors).filter(([, v]) => v > 0);
      const errorText = errors.length === 0 ? 'none' : errors.map(([k, v]) => `${k} ${count(v)}`).join(', ');
      body.push(
        `<tr${side === 'kernel' ? ' class="kernel"' : ''}><td>${esc(x.who)}${sides.length > 1 ? ` <span class="side">${side}</span>` : ''}</td>` +
          `<td class="num">${count(x.attempted)}</td><td class="num">${count(x.connected)}</td>` +
          `<td${errors.length > 0 ? ' class="bad"' : ''}>${esc(errorText)}</td>` +
          (x.connectMs !== null ? pctCells(x.connectMs, milliseconds) : '<td class="num" colspan="3">—</td>') +
          pctCells(x.probes, count) +
          `<td>${probeBar(x.probes, maxProbes)}</td></tr>`,
      );
    }
  }
  if (body.length === 0) return '';
  return `<section id="connect"><h2>connect() calls</h2>
<p class="note">Per client and per proxy upstream. Probes: how many candidate ports connect()'s port search examined (p50, p99, max); the bar shows them against the largest here.</p>
<table class="data"><thead><tr><th>who</th><th>attempted</th><th>connected</th><th>errors</th><th colspan="3">connect ms p50 · p99 · max</th><th colspan="3">probes p50 · p99 · max</th><th>probes</th></tr></thead>
<tbody>${body.join('')}</tbody></table></section>`;
}

function pctCells(p: Percentiles, f: (v: number) => string): string {
  return [p.p50, p.p99, p.max].map((v) => `<td class="num">${esc(f(v))}</td>`).join('');
}

/** p50, p99 and max as one small bar: dark to p50, mid to p99, light to max. */
function probeBar(p: Percentiles, max: number): string {
  const w = 120;
  const x = (v: number): number => Math.max(v > 0 ? 1 : 0, (v / max) * w);
  return (
    `<svg class="probebar" viewBox="0 0 ${w} 10" width="${w}" height="10" role="img" aria-label="probes p50 ${p.p50}, p99 ${p.p99}, max ${p.max}">` +
    `<rect width="${w}" height="10" fill="#eee"/><rect width="${n(x(p.max))}" height="10" fill="#c5cae9"/>` +
    `<rect width="${n(x(p.p99))}" height="10" fill="#7986cb"/><rect width="${n(x(p.p50))}" height="10" fill="#303f9f"/></svg>`
  );
}

function hostsSection(sides: [Side, Result][]): string {
  const model = sides[0]![1];
  const cards: string[] = [];
  for (const host of Object.keys(model.hosts)) {
    const hs = sides.map(([side, r]) => [side, r.hosts[host]] as const);
    const states = TCP_STATES.filter((s) => hs.some(([, h]) => (h?.states_end[s] ?? 0) > 0 || (h?.states_peak[s] ?? 0) > 0));
    const heads = hs.map(([side]) => (sides.length > 1 ? `<th>end (${side})</th><th>peak (${side})</th>` : '<th>end</th><th>peak</th>')).join('');
    const stateRows = states
      .map((s) => `<tr><td><span class="swatch" style="background:${STATE_COLOR[s]}"></span>${s}</td>${hs.map(([, h]) => `<td class="num">${count(h?.states_end[s] ?? 0)}</td><td class="num">${count(h?.states_peak[s] ?? 0)}</td>`).join('')}</tr>`)
      .join('');
    const counters = KEY_COUNTERS.filter((c) => hs.some(([, h]) => (h?.mib[c] ?? 0) !== 0));
    const counterRows = counters.map((c) => `<tr><td>${c}</td>${hs.map(([, h]) => `<td class="num">${count(h?.mib[c] ?? 0)}</td>`).join('')}</tr>`).join('');
    const memory = hs.map(([side, h]) => `${sides.length > 1 ? `${side}: ` : ''}timewait memory peak ${bytes(h?.timewait_memory_bytes_peak ?? 0)}, local ports in use peak ${count(h?.bind_buckets_peak ?? 0)}`).join('; ');
    cards.push(
      `<div class="hostcard"><h3>${esc(host)}</h3>` +
        (states.length > 0 ? `<table class="data"><thead><tr><th>state</th>${heads}</tr></thead><tbody>${stateRows}</tbody></table>` : '<p class="note">no sockets</p>') +
        `<p class="note">${esc(memory)}</p>` +
        (counters.length > 0 ? `<table class="data"><thead><tr><th>counter</th>${hs.map(([side]) => `<th>${sides.length > 1 ? side : 'value'}</th>`).join('')}</tr></thead><tbody>${counterRows}</tbody></table>` : '') +
        `</div>`,
    );
  }
  return `<section id="hosts"><h2>Hosts</h2><div class="hostcards">${cards.join('')}</div></section>`;
}

// ---------------------------------------------------------------------------------------
// Ladders and footer

function ladderSection(model: Result, options: HtmlOptions): string {
  if (options.ladders === undefined) return '';
  const failedSilently = [...model.clients.map((c) => c.errors), ...model.proxies.flatMap((p) => p.upstreams.map((u) => u.errors))].some((e) => (e['EADDRNOTAVAIL'] ?? 0) > 0);
  const intro =
    'Each connection shown as the packets it exchanged: one vertical line per endpoint, time running down, one sloped arrow per segment ' +
    '(tcpdump flags: S SYN, F FIN, R RST, P push, . ACK; sequence numbers absolute, as tcpdump -S prints them), and each end’s state where it changes.' +
    (failedSilently ? ' connect() calls that failed with EADDRNOTAVAIL sent no segment, so they have no ladder.' : '') +
    ((model.integrity?.stale_segments_accepted ?? 0) > 0 && !options.ladders.some((c) => c.ladder.marks.includes('stale'))
      ? ' Stale segments were accepted (see Integrity), but on connections beyond the ones recorded; --trace can choose them.'
      : '');
  const figures =
    options.ladders.length === 0
      ? `<p class="note">${esc(options.noLadder ?? NO_LADDER)}</p>`
      : options.ladders.map((c) => `<figure class="ladder-fig">${ladderSvg(c)}</figure>`).join('');
  return `<section id="ladders"><h2>Packet ladders</h2><p class="note">${esc(intro)}</p>${figures}${unrecordedList(options.unrecorded ?? [])}</section>`;
}

function unrecordedList(unrecorded: readonly Unrecorded[]): string {
  if (unrecorded.length === 0) return '';
  const items = unrecorded.map((u) => `<li>${esc(`${u.mark === 'rst' ? 'RST' : 'a segment dropped'} at ${ms(u.t)} ms: `)}<code>--trace '${esc(traceArg(u))}'</code></li>`);
  return `<p class="note">Also with trouble but not recorded (the first ${unrecorded.length}); give twlab simulate the --trace shown to draw one:</p><ul class="unrecorded">${items.join('')}</ul>`;
}

function footer(options: HtmlOptions): string {
  return `<footer>Written by twlab${options.version !== undefined ? ` ${esc(options.version)}` : ''}. The same scenario, seed and twlab version give the same report.</footer>`;
}

/** Seconds without float noise: 90, 1.5, 0.25. */
function seconds(s: number): string {
  return String(Number(s.toFixed(3)));
}

// ---------------------------------------------------------------------------------------
// Page style and script

const PAGE_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1400px; padding: 24px 28px 40px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: ${INK}; background: #fff; }
h1 { font-size: 24px; margin: 0 0 6px; }
h1 .name { font-family: ui-monospace, Menlo, Consolas, monospace; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin: 14px 0 6px; }
.description { color: #444; max-width: 110ch; margin: 4px 0 10px; }
.meta th { text-align: left; font-weight: 600; padding: 1px 14px 1px 0; color: ${MUTED}; }
.meta td { padding: 1px 18px 1px 0; }
.knobs { background: #fff4e0; border-left: 4px solid ${WARN_COLOR}; padding: 8px 12px; }
.note { color: ${MUTED}; max-width: 120ch; }
#verdict ul { margin: 6px 0; padding-left: 20px; }
#verdict li { margin: 4px 0; max-width: 120ch; }
.columns.c2 { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
.integrity.bad { color: ${ERROR_COLOR}; }
.host { margin-bottom: 8px; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px; }
figure { margin: 0; }
.chart-fig { border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px 10px; background: #fff; }
.chart-fig figcaption { font-weight: 600; margin-bottom: 2px; }
svg.chart { display: block; max-width: 100%; height: auto; font: 11px system-ui, sans-serif; }
svg.chart .grid { stroke: #eee; }
svg.chart .axis { stroke: #999; }
svg.chart .tickmark { stroke: #999; }
svg.chart .tick, svg.chart .unit { fill: ${MUTED}; }
svg.chart path.series { stroke-width: 1.8; stroke-linejoin: round; }
svg.chart .series.off { display: none; }
svg.chart .cursor { stroke: #888; stroke-dasharray: 3 3; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 8px; margin-top: 4px; }
.legend button { font: inherit; font-size: 12px; background: none; border: 1px solid transparent; border-radius: 4px; padding: 1px 6px; cursor: pointer; color: ${INK}; }
.legend button:hover { border-color: #ccc; }
.legend button[aria-pressed="false"] { opacity: 0.4; text-decoration: line-through; }
.legend .peak { color: ${MUTED}; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
table.data { border-collapse: collapse; margin: 6px 0; }
table.data th { text-align: left; font-weight: 600; color: ${MUTED}; border-bottom: 1px solid #ddd; padding: 3px 10px 3px 0; }
table.data td { padding: 2px 10px 2px 0; border-bottom: 1px solid #f2f2f2; vertical-align: middle; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.data td.bad { color: ${ERROR_COLOR}; }
table.data tr.kernel td { color: #444; font-style: italic; }
.side { color: ${MUTED}; font-size: 12px; }
.hostcards { display: flex; flex-wrap: wrap; gap: 12px 36px; }
.ladder-fig { overflow-x: auto; border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px; margin: 12px 0 18px; }
.ladder-fig svg { display: block; max-width: 100%; height: auto; }
#tip { position: absolute; pointer-events: none; background: rgba(255,255,255,0.96); border: 1px solid #bbb; border-radius: 4px; padding: 4px 8px; font-size: 12px; box-shadow: 0 1px 4px rgba(0,0,0,0.15); white-space: nowrap; }
#tip .t { font-weight: 600; }
#tip .sw { display: inline-block; width: 8px; height: 8px; margin-right: 4px; }
footer { margin-top: 32px; color: ${MUTED}; font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  @page { margin: 12mm; }
  h2 { break-after: avoid; }
  .chart-fig, .hostcard, .ladder-fig, table.data tr { break-inside: avoid; }
  .ladder-fig { overflow: visible; border: none; padding: 0; }
  .legend button { border: none; padding: 0 4px 0 0; }
  .legend button[aria-pressed="false"] { display: none; }
  #tip { display: none !important; }
}
`;

/** Hover values on charts and legend toggles; the page is complete without it. */
const PAGE_JS = `
(function () {
  var data = JSON.parse(document.getElementById('chart-data').textContent || '{}');
  var tip = document.getElementById('tip');
  var off = {};
  function nearest(ts, t) {
    var lo = 0, hi = ts.length - 1;
    if (hi < 0) return -1;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (ts[mid] < t) lo = mid + 1; else hi = mid; }
    if (lo > 0 && Math.abs(ts[lo - 1] - t) <= Math.abs(ts[lo] - t)) lo--;
    return lo;
  }
  function fmt(v) { return Math.abs(v) >= 100 || Number.isInteger(v) ? Math.round(v).toLocaleString('en-US') : v.toFixed(2); }
  function hide(svg) { tip.hidden = true; var c = svg && svg.querySelector('.cursor'); if (c) c.setAttribute('visibility', 'hidden'); }
  Array.prototype.forEach.call(document.querySelectorAll('svg.chart'), function (svg) {
    var d = data[svg.id];
    if (!d) return;
    var cursor = svg.querySelector('.cursor');
    svg.addEventListener('mousemove', function (e) {
      var box = svg.getBoundingClientRect();
      var x = (e.clientX - box.left) * (svg.viewBox.baseVal.width / box.width);
      var t = ((x - d.x0) / (d.x1 - d.x0)) * d.xMax;
      if (t < 0 || t > d.xMax) { hide(svg); return; }
      var at = null;
      tip.textContent = '';
      var head = document.createElement('div');
      head.className = 't';
      tip.appendChild(head);
      d.series.forEach(function (s) {
        if (off[svg.id + '|' + s.key]) return;
        var i = nearest(s.t, t);
        if (i < 0) return;
        if (at === null) at = s.t[i];
        var row = document.createElement('div');
        var sw = document.createElement('span');
        sw.className = 'sw';
        sw.style.background = s.color;
        row.appendChild(sw);
        row.appendChild(document.createTextNode(s.label + ': ' + fmt(s.v[i])));
        tip.appendChild(row);
      });
      if (at === null) { hide(svg); return; }
      head.textContent = 't = ' + at + ' s';
      var cx = d.x0 + (at / d.xMax) * (d.x1 - d.x0);
      cursor.setAttribute('x1', cx); cursor.setAttribute('x2', cx); cursor.setAttribute('visibility', 'visible');
      tip.hidden = false;
      tip.style.left = (e.pageX + 14) + 'px';
      tip.style.top = (e.pageY + 14) + 'px';
    });
    svg.addEventListener('mouseleave', function () { hide(svg); });
  });
  // The same round ticks and short numbers as chart-svg.ts, to rescale when series are hidden.
  function ticks(max) {
    var raw = max / 5, mag = Math.pow(10, Math.floor(Math.log10(raw))), step = 10 * mag;
    [1, 2, 2.5, 5, 10].some(function (k) { if (k * mag >= raw) { step = k * mag; return true; } return false; });
    var out = [];
    for (var v = 0; v < max + step * 0.999; v += step) out.push(Number(v.toPrecision(12)));
    if (out.length < 2) out.push(step);
    return out;
  }
  function compact(v) {
    var a = Math.abs(v);
    if (a >= 1e6) return Number((v / 1e6).toPrecision(3)) + 'M';
    if (a >= 1e4) return Number((v / 1e3).toPrecision(3)) + 'k';
    return String(Number(v.toPrecision(4)));
  }
  var NS = 'http://www.w3.org/2000/svg';
  function node(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function redraw(svg) {
    var d = data[svg.id];
    var max = 0;
    d.series.forEach(function (s) { if (!off[svg.id + '|' + s.key]) s.v.forEach(function (v) { if (v > max) max = v; }); });
    var tk = ticks(max > 0 ? max : 1), top = tk[tk.length - 1];
    var sx = function (t) { return d.x0 + (t / d.xMax) * (d.x1 - d.x0); };
    var sy = function (v) { return d.y0 - (v / top) * (d.y0 - d.y1); };
    var axis = svg.querySelector('.yaxis');
    axis.textContent = '';
    tk.forEach(function (v) {
      axis.appendChild(node('line', { class: 'grid', x1: d.x0, y1: sy(v), x2: d.x1, y2: sy(v) }));
      axis.appendChild(node('text', { class: 'tick', x: d.x0 - 6, y: sy(v) + 4, 'text-anchor': 'end' }, compact(v)));
    });
    var els = svg.querySelectorAll('.series');
    d.series.forEach(function (s, i) {
      var el = els[i];
      if (!el) return;
      if (s.bars) {
        var step = s.t.length > 1 ? s.t[1] - s.t[0] : d.xMax, w = Math.max(1, ((d.x1 - d.x0) * step) / d.xMax - 1);
        el.textContent = '';
        s.v.forEach(function (v, j) { if (v > 0) el.appendChild(node('rect', { x: sx(s.t[j]) - w / 2, y: sy(v), width: w, height: d.y0 - sy(v) })); });
      } else {
        var p = '';
        s.t.forEach(function (t, j) { p += (j === 0 ? 'M' : 'L') + sx(t).toFixed(1) + ' ' + sy(s.v[j]).toFixed(1); });
        el.setAttribute('d', p);
      }
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('.legend button'), function (b) {
    b.addEventListener('click', function () {
      var shown = b.getAttribute('aria-pressed') !== 'false';
      b.setAttribute('aria-pressed', shown ? 'false' : 'true');
      var id = b.getAttribute('data-chart'), key = b.getAttribute('data-key');
      off[id + '|' + key] = shown;
      var svg = document.getElementById(id);
      Array.prototype.forEach.call(svg.querySelectorAll('.series'), function (p) {
        if (p.getAttribute('data-key') === key) p.classList.toggle('off', shown);
      });
      redraw(svg);
    });
  });
})();
`;
