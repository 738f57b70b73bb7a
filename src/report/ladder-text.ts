// A packet ladder for the terminal (`twlab simulate NAME --ladder -`): one line per event in
// time order, each end's state in its own column, an arrow per segment with tcpdump's flags
// and numbers, and when it arrived (or that it was dropped) at the end of the line. Long
// runs of plain data are folded; long waits are one line.

import type { Arrival, ElidedEvent, Ladder, SegmentEvent, StateEvent, Unrecorded } from '../sim/trace.js';
import { bytes } from './format.js';
import type { ChosenLadder } from './ladder.js';
import { endText, gapText, MARK_TEXT, ms, NO_LADDER, segmentLabel, traceArg } from './ladder.js';

export interface LadderTextOptions {
  /** ANSI colour: red for RSTs, drops and old connections' segments, yellow for retransmissions and delays. */
  color?: boolean;
  /** What to say when there is no ladder (default NO_LADDER). */
  none?: string;
}

/** Least width between the lifelines. */
const MIDDLE_MIN = 60;
const TIME_WIDTH = 9;
const STATE_WIDTH = 11;
/** A wait longer than this many one-way delays gets a line of its own. */
const BREAK_AFTER = 6;

const RED = ['\x1b[31m', '\x1b[39m'] as const;
const YELLOW = ['\x1b[33m', '\x1b[39m'] as const;
const BOLD = ['\x1b[1m', '\x1b[22m'] as const;

/** Every chosen ladder, one after the other (a line saying so when there are none), then the troubled connections without one. */
export function renderLaddersText(chosen: readonly ChosenLadder[], options: LadderTextOptions = {}, unrecorded: readonly Unrecorded[] = []): string {
  const text = chosen.length === 0 ? `${options.none ?? NO_LADDER}\n` : chosen.map((c) => renderLadderText(c, options)).join('\n');
  if (unrecorded.length === 0) return text;
  const lines = unrecorded.map((u) => `  ${u.mark === 'rst' ? 'RST' : 'drop'} at ${ms(u.t)} ms: --trace '${traceArg(u)}'`);
  return `${text}\nAlso with trouble but not recorded (the first ${unrecorded.length}); add the --trace shown to draw one:\n${lines.join('\n')}\n`;
}

export function renderLadderText(c: ChosenLadder, options: LadderTextOptions = {}): string {
  const l = c.ladder;
  const paint = (style: readonly [string, string], text: string): string => (options.color ? style[0] + text + style[1] : text);
  // Arrivals worth a line of their own, where they happen: delayed ones and the network's copies.
  const late = lateArrivals(l);
  const labels = l.events.filter((e): e is SegmentEvent => e.kind === 'segment').map((s) => segmentLabel(s));
  const middle = Math.max(MIDDLE_MIN, ...labels.map((t) => t.length + 8), ...late.map((a) => lateText(a).length + 6));
  const delay = typicalDelay(l);

  const lines: string[] = [];
  lines.push(paint(BOLD, `${endText(l, 0)} ⇄ ${endText(l, 1)}`));
  lines.push(`Why here: ${c.why.join('; ')}.`);
  const notes = [...l.marks.map((m) => MARK_TEXT[m])];
  const k = Math.max(...l.connections);
  if (k > 1) notes.push(`${k} connections on this 4-tuple, one after the other`);
  if (l.truncated) notes.push('recording stopped at its event limit');
  if (notes.length > 0) lines.push(paint(l.marks.length > 0 ? RED : ['', ''], notes.join(' · ')));
  lines.push(`${'ms'.padStart(TIME_WIDTH)}  ${l.ends[0].host.padStart(STATE_WIDTH)} ${' '.repeat(middle + 2)}${l.ends[1].host}`);

  let lastT: number | null = null;
  const synSent = [0, 0];
  for (const ev of l.events) {
    while (late.length > 0 && late[0]!.at <= ev.t) lines.push(arrivalRow(late.shift()!, middle, paint));
    if (lastT !== null && ev.t - lastT > BREAK_AFTER * delay) {
      lines.push(row('', '', centre(`⋯ ${gapText(ev.t - lastT)} later ⋯`, middle), '┆', '┆', ''));
    }
    lastT = ev.kind === 'elided' ? ev.until : ev.t;
    switch (ev.kind) {
      case 'state':
        if (ev.to === 'SYN_SENT' && ++synSent[ev.end]! > 1) {
          lines.push(row('', '', centre(` connection ${synSent[ev.end]} on the same 4-tuple `, middle, '┄'), '│', '│', ''));
        }
        lines.push(stateRow(ev, middle));
        break;
      case 'elided':
        lines.push(row('', '', centre(elidedText(ev), middle), '┆', '┆', ''));
        break;
      case 'segment':
        lines.push(segmentRow(ev, middle, paint));
        break;
    }
  }
  for (const a of late) lines.push(arrivalRow(a, middle, paint));
  return lines.join('\n') + '\n';
}

interface LateArrival {
  at: number;
  segment: SegmentEvent;
  arrival: Arrival;
}

function lateText(late: LateArrival): string {
  return `${late.arrival.copy ? 'copy' : 'delayed'}: ${segmentLabel(late.segment)} (sent ${ms(late.segment.t)})`;
}

function lateArrivals(l: Ladder): LateArrival[] {
  const out: LateArrival[] = [];
  for (const e of l.events) {
    if (e.kind !== 'segment') continue;
    for (const a of e.arrivals) if (a.copy || e.fate === 'delay') out.push({ at: a.at, segment: e, arrival: a });
  }
  return out.sort((a, b) => a.at - b.at);
}

function arrivalRow(late: LateArrival, middle: number, paint: (style: readonly [string, string], text: string) => string): string {
  const s = late.segment;
  const what = lateText(late);
  const dashes = (k: number): string => '╌'.repeat(Math.max(1, k));
  const arrow = s.from === 0 ? ` ${what} ${dashes(middle - what.length - 3)}▶` : `◀${dashes(middle - what.length - 3)} ${what} `;
  const note = late.arrival.stale ? `connection ${s.conn}'s segment on a newer connection` : '';
  const line = row(ms(late.at), '', arrow, '│', '│', '', note);
  return late.arrival.stale ? paint(RED, line) : paint(YELLOW, line);
}

function stateRow(ev: StateEvent, middle: number): string {
  return ev.end === 0 ? row(ms(ev.t), ev.to, ' '.repeat(middle), '│', '│', '') : row(ms(ev.t), '', ' '.repeat(middle), '│', '│', ev.to);
}

function segmentRow(s: SegmentEvent, middle: number, paint: (style: readonly [string, string], text: string) => string): string {
  const label = segmentLabel(s);
  const bad = s.flags.includes('R') || s.fate === 'drop' || s.arrivals.some((a) => a.stale);
  const warn = s.retransmission || s.fate === 'delay' || s.fate === 'duplicate';
  const style = bad ? RED : warn ? YELLOW : null;
  let arrow: string;
  if (s.from === 0) {
    const body = `─ ${label} `;
    const rest = middle - body.length - 1;
    arrow = s.fate === 'drop' ? body + '─'.repeat(Math.max(1, Math.floor(rest / 2))) + '✕' + ' '.repeat(Math.max(0, rest - Math.floor(rest / 2))) : body + '─'.repeat(rest) + '▶';
  } else {
    const body = ` ${label} ─`;
    const rest = middle - body.length - 1;
    arrow = s.fate === 'drop' ? ' '.repeat(Math.max(0, rest - Math.floor(rest / 2))) + '✕' + '─'.repeat(Math.max(1, Math.floor(rest / 2))) + body : '◀' + '─'.repeat(rest) + body;
  }
  const [l, r] = s.from === 0 ? ['├', '│'] : ['│', '┤'];
  const note = [s.retransmission ? 'retransmission' : '', fateText(s)].filter((t) => t !== '').join(', ');
  const line = row(ms(s.t), '', arrow, l, r, '', note);
  return style === null ? line : paint(style, line);
}

function fateText(s: SegmentEvent): string {
  if (s.fate === 'drop') return 'dropped';
  return s.arrivals.map((a) => `${a.copy ? 'copy arrives' : 'arrives'} ${ms(a.at)}${s.fate === 'delay' && !a.copy ? ' (delayed)' : ''}${a.stale ? ' (stale)' : ''}`).join(', ');
}

function elidedText(ev: ElidedEvent): string {
  const dirs = [0, 1]
    .filter((e) => ev.segments[e]! > 0)
    .map((e) => `${ev.segments[e]} ${e === 0 ? '→' : '←'}${ev.bytes[e]! > 0 ? ` (${bytes(ev.bytes[e]!)})` : ''}`);
  return `⋮ ${dirs.join(', ')} plain segments, ${ms(ev.t)}–${ms(ev.until)} ⋮`;
}

/** time, left state, left lifeline, middle, right lifeline, right state, note. */
function row(time: string, leftState: string, middle: string, l: string, r: string, rightState: string, note = ''): string {
  const right = note === '' ? rightState : pad(rightState, STATE_WIDTH) + '  ' + note;
  return `${time.padStart(TIME_WIDTH)}  ${leftState.padStart(STATE_WIDTH)} ${l}${middle}${r} ${right}`.trimEnd();
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function centre(text: string, width: number, fill = ' '): string {
  const space = Math.max(0, width - [...text].length);
  const left = Math.floor(space / 2);
  return fill.repeat(left) + text + fill.repeat(space - left);
}

/** The median one-way delay of passed segments (µs), 1 ms when there are none. */
function typicalDelay(l: Ladder): number {
  const d: number[] = [];
  for (const e of l.events) if (e.kind === 'segment' && e.fate === 'pass' && e.arrivals[0] !== undefined) d.push(e.arrivals[0].at - e.t);
  d.sort((a, b) => a - b);
  return Math.max(1, d[Math.floor(d.length / 2)] ?? 1000);
}
