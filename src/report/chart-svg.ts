// Time-series charts as static SVG: axes with round ticks, one path per series (or bars),
// drawn in full so the chart prints and reads without JavaScript. The HTML report adds
// hover values and legend toggles on top, from the data `chartSvg` returns beside the SVG.

import { esc, n } from './svg.js';

export interface ChartSeries {
  /** What the legend toggles: series with the same key go together (a state on model and kernel). */
  key: string;
  label: string;
  color: string;
  /** Dashed: the second result (the kernel) beside the first. */
  dashed?: boolean;
  /** Sample times (s) and values, the same length. */
  t: readonly number[];
  values: readonly number[];
  /** Bars per sample (counts per interval) instead of a line. */
  bars?: boolean;
}

export interface ChartSpec {
  id: string;
  /** The y axis' meaning, e.g. "sockets". */
  unit: string;
  series: readonly ChartSeries[];
  /** The x axis ends here (s). */
  xMax: number;
}

/** What the page script needs for hover values: per series its times and values. */
export interface ChartData {
  unit: string;
  /** The plot area: x from x0 to x1 (t from 0 to xMax), y from y0 (value 0) up to y1. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  xMax: number;
  series: { key: string; label: string; color: string; bars: boolean; t: readonly number[]; v: readonly number[] }[];
}

const W = 560;
const H = 220;
const M = { left: 50, right: 14, top: 24, bottom: 30 };
/** More samples than this are thinned (each kept point is the largest of its stretch). */
const MAX_POINTS = 1200;

export function chartSvg(spec: ChartSpec): { svg: string; data: ChartData } {
  const x0 = M.left;
  const x1 = W - M.right;
  const y0 = H - M.bottom;
  const y1 = M.top;
  const xMax = spec.xMax > 0 ? spec.xMax : 1;
  const yMaxRaw = Math.max(0, ...spec.series.flatMap((s) => s.values));
  const yTicks = niceTicks(yMaxRaw > 0 ? yMaxRaw : 1);
  const yMax = yTicks[yTicks.length - 1]!;
  const sx = (t: number): number => x0 + (t / xMax) * (x1 - x0);
  const sy = (v: number): number => y0 - (v / yMax) * (y0 - y1);

  const parts: string[] = [];
  // Grid and axes; the page script redraws the y axis when series are hidden.
  const grid: string[] = [];
  for (const v of yTicks) {
    const y = sy(v);
    grid.push(`<line class="grid" x1="${x0}" y1="${n(y)}" x2="${x1}" y2="${n(y)}"/>`);
    grid.push(`<text class="tick" x="${x0 - 6}" y="${n(y + 4)}" text-anchor="end">${esc(compact(v))}</text>`);
  }
  parts.push(`<g class="yaxis">${grid.join('')}</g>`);
  for (const t of niceTicks(xMax)) {
    if (t > xMax) break;
    const x = sx(t);
    parts.push(`<line class="tickmark" x1="${n(x)}" y1="${y0}" x2="${n(x)}" y2="${y0 + 4}"/>`);
    parts.push(`<text class="tick" x="${n(x)}" y="${y0 + 17}" text-anchor="middle">${esc(compact(t))}</text>`);
  }
  parts.push(`<line class="axis" x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}"/>`);
  parts.push(`<text class="unit" x="${x1}" y="${H - 2}" text-anchor="end">seconds</text>`);
  parts.push(`<text class="unit" x="4" y="12">${esc(spec.unit)}</text>`);

  // Series: bars first, lines over them.
  const ordered = [...spec.series].sort((a, b) => Number(b.bars ?? false) - Number(a.bars ?? false));
  for (const s of ordered) {
    const attrs = `data-key="${esc(s.key)}" class="series${s.dashed ? ' dashed' : ''}"`;
    if (s.bars) {
      const step = s.t.length > 1 ? s.t[1]! - s.t[0]! : xMax;
      const w = Math.max(1, ((x1 - x0) * step) / xMax - 1);
      const rects: string[] = [];
      s.values.forEach((v, i) => {
        if (v <= 0) return;
        const x = sx(s.t[i]!) - w / 2;
        rects.push(`<rect x="${n(x)}" y="${n(sy(v))}" width="${n(w)}" height="${n(y0 - sy(v))}"/>`);
      });
      parts.push(`<g ${attrs} fill="${s.color}"${s.dashed ? ' fill-opacity="0.45"' : ''}>${rects.join('')}</g>`);
      continue;
    }
    const [t, v] = thin(s.t, s.values);
    let d = '';
    for (let i = 0; i < t.length; i++) d += `${i === 0 ? 'M' : 'L'}${n(sx(t[i]!))} ${n(sy(v[i]!))}`;
    parts.push(`<path ${attrs} d="${d}" stroke="${s.color}" fill="none"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
  }
  parts.push(`<line class="cursor" x1="0" y1="${y1}" x2="0" y2="${y0}" visibility="hidden"/>`);

  const label = `${spec.unit} over time: ${spec.series.map((s) => s.label).join(', ')}`;
  const svg = `<svg class="chart" id="${esc(spec.id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(label)}">${parts.join('')}</svg>`;
  const data: ChartData = {
    unit: spec.unit,
    x0,
    x1,
    y0,
    y1,
    xMax,
    // In drawing order: the page script finds each series' element by its index.
    series: ordered.map((s) => ({ key: s.key, label: s.label, color: s.color, bars: s.bars ?? false, t: s.t, v: s.values })),
  };
  return { svg, data };
}

/** Round tick values from 0 to at least `max`: 0, 5k, 10k, ... about five of them. */
export function niceTicks(max: number): number[] {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks.length < 2) ticks.push(step);
  return ticks;
}

/** 28232 -> "28.2k", 1500000 -> "1.5M", 0.25 -> "0.25". */
export function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}

/** At most MAX_POINTS points: each kept point is the largest value of its stretch (peaks stay visible). */
function thin(t: readonly number[], v: readonly number[]): [readonly number[], readonly number[]] {
  if (t.length <= MAX_POINTS) return [t, v];
  const tt: number[] = [];
  const vv: number[] = [];
  for (let i = 0; i < MAX_POINTS; i++) {
    const from = Math.floor((i * t.length) / MAX_POINTS);
    const to = Math.max(from + 1, Math.floor(((i + 1) * t.length) / MAX_POINTS));
    let best = from;
    for (let j = from; j < to; j++) if (v[j]! > v[best]!) best = j;
    tt.push(t[best]!);
    vv.push(v[best]!);
  }
  return [tt, vv];
}
