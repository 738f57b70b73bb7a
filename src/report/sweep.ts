// The table `twlab sweep` prints: one row per variant, the varied values first, then the
// figures that tell variants apart: per client connected/attempted, errors and connect()
// probes at p99; per proxy upstream its errors; per host its TIME_WAIT peak. Column groups
// are named on a line above their columns.

import type { Result } from '../sim/result.js';

export interface SweepRow {
  /** The value of each varied key, as given on the command line. */
  vary: Record<string, string>;
  result: Result;
}

export interface SweepTextOptions {
  /** ANSI colour for errors; only for a terminal. */
  color?: boolean;
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
  const columns = [...varyColumns(first), ...clientColumns(first), ...proxyColumns(first), ...timewaitColumns(rows)];
  return renderTable(columns, rows, options.color ?? false);
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

/** Hosts that held TIME_WAIT in some variant. */
function timewaitColumns(rows: readonly SweepRow[]): Column[] {
  const first = rows[0] as SweepRow;
  const peak = (r: SweepRow, host: string): number => r.result.hosts[host]?.states_peak.TIME_WAIT ?? 0;
  return Object.keys(first.result.hosts)
    .filter((host) => rows.some((r) => peak(r, host) > 0))
    .map((host) => ({ group: 'TIME_WAIT peak', heading: host, align: 'right', cell: (r) => String(peak(r, host)) }));
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
