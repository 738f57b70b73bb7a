// The table `twlab sweep` prints: one row per variant, the varied values first, then the
// figures that tell variants apart: per client connected/attempted, errors and connect()
// probes at p99; per proxy upstream its errors; per host its TIME_WAIT peak, and its
// CLOSE_WAIT and FIN_WAIT_2 peaks where variants differ; the integrity oracle's
// counts when some variant has one. Column groups are named on a line above their
// columns. Below the table: the --set values every variant shares, and a warning when a
// simulator-only (what_if) knob is in use.

import { andList } from '../scenario/units.js';
import type { Result } from '../sim/result.js';

export interface SweepRow {
  /** The value of each varied key, as given on the command line. */
  vary: Record<string, string>;
  result: Result;
}

export interface SweepTextOptions {
  /** ANSI colour for errors; only for a terminal. */
  color?: boolean;
  /** The --set values every variant shares (KEY=VALUE), said below the table. */
  settings?: readonly string[];
}

interface Column {
  /** Group label above, '' for none; a group is a run of columns with the same label. */
  group: string;
  heading: string;
  align: 'left' | 'right';
  cell(row: SweepRow): string;
  /** Red when the cell reports errors. */
  alarming?: (row: SweepRow) => boolean;
}

export function renderSweep(rows: readonly SweepRow[], options: SweepTextOptions = {}): string {
  const first = rows[0];
  if (first === undefined) return 'No variants.\n';
  const columns = [
    ...varyColumns(first),
    ...clientColumns(first),
    ...proxyColumns(first),
    ...PEAK_STATES.flatMap((state) => peakColumns(rows, state)),
    ...integrityColumns(rows),
  ];
  return renderTable(columns, rows, options.color ?? false) + footer(rows, options.settings ?? []);
}

/** States whose peaks a sweep shows, for the hosts that had them in some variant. */
const PEAK_STATES = ['TIME_WAIT', 'CLOSE_WAIT', 'FIN_WAIT_2'] as const;

function footer(rows: readonly SweepRow[], settings: readonly string[]): string {
  const lines: string[] = [];
  if (settings.length > 0) lines.push(`Every variant: --set ${settings.join(', --set ')}.`);
  const whatIf = new Set<string>();
  for (const r of rows) {
    for (const [host, knobs] of Object.entries(r.result.what_if ?? {})) for (const knob of Object.keys(knobs)) whatIf.add(`${host} ${knob}`);
  }
  const knobs = [...whatIf];
  if (knobs.length === 1) lines.push(`Not Linux: ${knobs[0]} is a simulator-only knob (what_if); no kernel has it.`);
  else if (knobs.length > 1) lines.push(`Not Linux: ${andList(knobs)} are simulator-only knobs (what_if); no kernel has them.`);
  return lines.map((l) => `\n${l}\n`).join('');
}

function varyColumns(row: SweepRow): Column[] {
  return Object.keys(row.vary).map((key) => ({ group: '', heading: shortKey(key), align: 'left', cell: (r) => r.vary[key] ?? '' }));
}

function clientColumns(row: SweepRow): Column[] {
  return row.result.clients.flatMap((c, i): Column[] => {
    const group = `${c.host} → ${c.target}`;
    const errors = (r: SweepRow): Record<string, number> => r.result.clients[i]?.errors ?? {};
    return [
      { group, heading: 'connected', align: 'right', cell: (r) => `${r.result.clients[i]?.connected ?? 0}/${r.result.clients[i]?.attempted ?? 0}` },
      { group, heading: 'errors', align: 'left', cell: (r) => errorsText(errors(r)), alarming: (r) => total(errors(r)) > 0 },
      { group, heading: 'probes p99', align: 'right', cell: (r) => String(r.result.clients[i]?.connect_probes.p99 ?? 0) },
    ];
  });
}

function proxyColumns(row: SweepRow): Column[] {
  return row.result.proxies.flatMap((p, i) =>
    p.upstreams.map((u, j): Column => {
      const errors = (r: SweepRow): Record<string, number> => r.result.proxies[i]?.upstreams[j]?.errors ?? {};
      return { group: `proxy ${p.host} errors`, heading: u.target, align: 'left', cell: (r) => errorsText(errors(r)), alarming: (r) => total(errors(r)) > 0 };
    }),
  );
}

/**
 * A host's peak of `state`: TIME_WAIT for the hosts that held it in some variant; the other
 * states only where variants differ (every connection passes through them for a moment).
 */
function peakColumns(rows: readonly SweepRow[], state: (typeof PEAK_STATES)[number]): Column[] {
  const first = rows[0] as SweepRow;
  const peak = (r: SweepRow, host: string): number => r.result.hosts[host]?.states_peak[state] ?? 0;
  const shown = (host: string): boolean =>
    state === 'TIME_WAIT' ? rows.some((r) => peak(r, host) > 0) : rows.some((r) => peak(r, host) !== peak(first, host));
  return Object.keys(first.result.hosts)
    .filter(shown)
    .map((host) => ({ group: `${state} peak`, heading: host, align: 'right', cell: (r) => String(peak(r, host)) }));
}

/** The integrity oracle's counts, when some variant has one: what no real host can tell. */
function integrityColumns(rows: readonly SweepRow[]): Column[] {
  const figures = [
    ['stale segments', (r: SweepRow) => r.result.integrity?.stale_segments_accepted ?? 0],
    ['stale bytes', (r: SweepRow) => r.result.integrity?.stale_bytes_accepted ?? 0],
    ['stale-state RSTs', (r: SweepRow) => r.result.integrity?.resets_from_stale_state ?? 0],
  ] as const;
  return figures
    .filter(([, value]) => rows.some((r) => value(r) > 0))
    .map(([heading, value]) => ({ group: 'integrity', heading, align: 'right', cell: (r) => String(value(r)), alarming: (r) => heading !== 'stale-state RSTs' && value(r) > 0 }));
}

/** `client.sysctl.net.ipv4.tcp_tw_reuse` -> `client tcp_tw_reuse`; `lb.what_if.timewait_len` -> `lb timewait_len`. */
export function shortKey(key: string): string {
  return key.replace(/\.sysctl\.net\.(ipv4|core)\./, ' ').replace(/\.what_if\./, ' ');
}

function errorsText(errors: Record<string, number>): string {
  const nonZero = Object.entries(errors).filter(([, n]) => n > 0);
  return nonZero.length === 0 ? 'none' : nonZero.map(([errno, n]) => `${n} ${errno}`).join(', ');
}

function total(errors: Record<string, number>): number {
  return Object.values(errors).reduce((a, b) => a + b, 0);
}

const GAP = '  ';

function renderTable(columns: Column[], rows: readonly SweepRow[], color: boolean): string {
  const cells = rows.map((row) => columns.map((c) => c.cell(row)));
  const widths = columns.map((c, i) => Math.max(length(c.heading), ...cells.map((r) => length(r[i] ?? ''))));

  // Widen the last column of a group whose label is wider than its columns.
  const groups: { label: string; from: number; to: number }[] = [];
  columns.forEach((c, i) => {
    const last = groups[groups.length - 1];
    if (last && last.label === c.group) last.to = i;
    else groups.push({ label: c.group, from: i, to: i });
  });
  const span = (g: { from: number; to: number }): number => widths.slice(g.from, g.to + 1).reduce((a, b) => a + b, 0) + GAP.length * (g.to - g.from);
  for (const g of groups) {
    const missing = length(g.label) - span(g);
    if (missing > 0) widths[g.to] = (widths[g.to] ?? 0) + missing;
  }

  const pad = (text: string, i: number): string => {
    const gap = ' '.repeat((widths[i] ?? 0) - length(text));
    return columns[i]?.align === 'right' ? gap + text : text + gap;
  };
  const red = (text: string): string => (color ? `\x1b[31m${text}\x1b[39m` : text);
  const lines = [
    groups.map((g) => g.label.padEnd(span(g))).join(GAP),
    columns.map((c, i) => pad(c.heading, i)).join(GAP),
    ...rows.map((row, r) => columns.map((c, i) => (c.alarming?.(row) ? red(pad(cells[r]?.[i] ?? '', i)) : pad(cells[r]?.[i] ?? '', i))).join(GAP)),
  ];
  return lines.map((l) => l.trimEnd()).filter((l, i) => i !== 0 || l !== '').join('\n') + '\n';
}

function length(text: string): number {
  return [...text].length;
}
