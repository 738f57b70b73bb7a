// What the ladder renderers share: which ladders to show and why, how a segment is labelled
// (tcpdump's way), and the vertical layout: rows in time order, time-scaled, with long idle
// stretches cut short and marked.

import type { Arrival, Ladder, LadderEnd, LadderEvent, LadderMark, SegmentEvent } from '../sim/trace.js';
import { milliseconds } from './text.js';

/** What the reports say when there is no ladder to draw. */
export const NO_LADDER = 'No connection sent a segment in this run, so there is no ladder to draw.';
export const NO_TRACED_LADDER = 'No connection matched --trace, so there is no ladder to draw.';

/** A ladder and why the report shows it. */
export interface ChosenLadder {
  ladder: Ladder;
  why: string[];
}

/** How many ladders a report shows at most, by default. */
export const DEFAULT_SHOWN_LADDERS = 6;
/** At most this many ladders matching --trace are drawn. */
export const TRACED_SHOWN = 20;
/** At most this many ladders shown for old segments arriving on new connections. */
const STALE_SHOWN = 3;

export const MARK_TEXT: Record<LadderMark, string> = {
  rst: 'reset (RST)',
  drop: 'segment dropped',
  retransmission: 'retransmission',
  stale: "an old connection's segment arrived",
  unestablished: 'handshake never completed',
};

/**
 * The ladders worth showing, in this order: the first connection,
 * the first with trouble (a mark), and those where an old connection's segment arrived.
 */
export function chooseLadders(ladders: readonly Ladder[], max = DEFAULT_SHOWN_LADDERS): ChosenLadder[] {
  const chosen: ChosenLadder[] = [];
  const add = (ladder: Ladder | undefined, why: string): void => {
    if (ladder === undefined) return;
    const have = chosen.find((c) => c.ladder === ladder);
    if (have !== undefined) {
      if (!have.why.includes(why)) have.why.push(why);
      return;
    }
    if (chosen.length < max) chosen.push({ ladder, why: [why] });
  };
  const sorted = [...ladders].sort((a, b) => a.order - b.order);
  add(sorted[0], 'the first connection');
  add(
    sorted.find((l) => l.marks.length > 0),
    'the first connection with trouble',
  );
  for (const l of sorted.filter((l) => l.marks.includes('stale')).slice(0, STALE_SHOWN)) add(l, "an old connection's segment arrived on a new one");
  return chosen;
}

/** With --trace: the matching ladders only, in order, at most `max`. */
export function tracedLadders(ladders: readonly Ladder[], max = TRACED_SHOWN): ChosenLadder[] {
  return ladders
    .filter((l) => l.traced)
    .sort((a, b) => a.order - b.order)
    .slice(0, max)
    .map((ladder) => ({ ladder, why: ['matched by --trace'] }));
}

/** `client 180.172.35.150:45678 ⇄ server 180.97.33.108:80`. */
export function ladderTitle(l: Ladder): string {
  return `${endText(l, 0)} ⇄ ${endText(l, 1)}`;
}

export function endText(l: Ladder, e: 0 | 1): string {
  const end = l.ends[e];
  return end.host === end.address ? `${end.address}:${end.port}` : `${end.host} ${end.address}:${end.port}`;
}

/** tcpdump's flags and numbers (absolute, as with -S): `[P.] seq 1000:1100 ack 2000 TSval 5 ecr 3`. */
export function segmentLabel(s: SegmentEvent): string {
  const seq = s.len > 0 ? `seq ${s.seq}:${(s.seq + s.len) >>> 0}` : `seq ${s.seq}`;
  const ack = s.flags.includes('.') ? ` ack ${s.ack}` : '';
  const ts = s.ts !== null ? ` TSval ${s.ts.val} ecr ${s.ts.ecr}` : '';
  return `[${s.flags}] ${seq}${ack}${ts}`;
}

/** What happened to a segment beyond passing, in words: `retransmission, delayed +2.00 ms`. */
export function segmentNotes(s: SegmentEvent): string[] {
  const notes: string[] = [];
  if (s.retransmission) notes.push('retransmission');
  const first = s.arrivals[0];
  switch (s.fate) {
    case 'pass':
      break;
    case 'drop':
      notes.push('dropped');
      break;
    case 'delay':
      if (first !== undefined) notes.push(`delayed, arrives ${ms(first.at)} ms`);
      break;
    case 'duplicate': {
      const copy = s.arrivals.find((a) => a.copy);
      if (copy !== undefined) notes.push(`duplicated, the copy arrives ${ms(copy.at)} ms`);
      break;
    }
  }
  if (s.arrivals.some((a) => a.stale)) notes.push(`from connection ${s.conn}, arrives on a newer one (stale)`);
  return notes;
}

/** The full line for a tooltip: time, direction, label, length, window, notes. */
export function segmentDetail(l: Ladder, s: SegmentEvent): string {
  const to = (1 - s.from) as 0 | 1;
  const arrive = s.arrivals.map((a) => `${a.copy ? 'copy ' : ''}arrives ${ms(a.at)} ms${a.stale ? ' (stale)' : ''}`).join(', ');
  const parts = [
    `${ms(s.t)} ms ${endText(l, s.from)} > ${endText(l, to)}`,
    `Flags ${segmentLabel(s)} win ${s.win} length ${s.len}`,
    s.senderState !== '' ? `sent in ${s.senderState}${s.conn > 0 ? `, connection ${s.conn}` : ''}` : 'sent by no socket',
    arrive || 'never arrives',
    ...segmentNotes(s).filter((n) => n !== 'dropped'),
  ];
  return parts.join('\n');
}

/** The --trace argument that draws a connection: `client:40312->server:80`. */
export function traceArg(c: { ends: readonly [LadderEnd, LadderEnd] }): string {
  return c.ends.map((e) => `${e.host}:${e.port}`).join('->');
}

/** Microseconds as milliseconds with three decimals: `101.500`. */
export function ms(t: number): string {
  return (t / 1000).toFixed(3);
}

/** A gap of `t` microseconds in words: `48.5 ms`, `1.20 s`. */
export function gapText(t: number): string {
  if (t >= 1_000_000) return `${(t / 1_000_000).toFixed(2)} s`;
  return t >= 10_000 ? `${(t / 1000).toFixed(1)} ms` : `${milliseconds(t / 1000)} ms`;
}

// ---------------------------------------------------------------------------------------
// Vertical layout

/** One row of the drawing: an event, or the arrival of a segment. */
export type Row =
  | { kind: 'event'; event: LadderEvent; y: number }
  | { kind: 'arrival'; segment: SegmentEvent; arrival: Arrival; y: number }
  /** An idle stretch cut short: `gap` microseconds between `y` and `y + height`. */
  | { kind: 'break'; gap: number; y: number; height: number };

export interface LayoutOptions {
  /** Pixels (or lines) for the typical one-way delay. */
  delayHeight: number;
  /** Height of an event row and of an arrival row. */
  eventHeight: number;
  arrivalHeight: number;
  /** A gap longer than this many typical delays is cut to `breakHeight`. */
  breakAfter: number;
  breakHeight: number;
}

export interface Layout {
  rows: Row[];
  height: number;
  /** The typical one-way delay the scale is built on (µs). */
  delay: number;
  /** y of each segment's send row and of each of its arrivals. */
  sendY: Map<SegmentEvent, number>;
  arrivalY: Map<Arrival, number>;
}

/**
 * Rows in time order; at one instant, arrivals first (they cause what follows), then events
 * in the order they happened. Between instants the drawing advances in proportion to the time
 * passed (the typical one-way delay = `delayHeight`), except that a long idle stretch is cut
 * to `breakHeight` and marked with its length.
 */
export function layoutLadder(l: Ladder, o: LayoutOptions): Layout {
  type Point = { t: number; order: number; row: Row };
  const points: Point[] = [];
  const delays: number[] = [];
  let order = 0;
  for (const event of l.events) {
    points.push({ t: event.t, order: 1_000_000_000 + order++, row: { kind: 'event', event, y: 0 } });
    if (event.kind !== 'segment') continue;
    for (const arrival of event.arrivals) {
      // Arrivals before the events of their instant, in the order they were sent (after
      // their own sending, on a link without delay).
      const first = arrival.at === event.t ? 1_000_000_000 : 0;
      points.push({ t: arrival.at, order: first + order++, row: { kind: 'arrival', segment: event, arrival, y: 0 } });
      if (event.fate === 'pass') delays.push(arrival.at - event.t);
    }
  }
  points.sort((a, b) => a.t - b.t || a.order - b.order);
  delays.sort((a, b) => a - b);
  const delay = Math.max(1, delays[Math.floor(delays.length / 2)] ?? 1000);
  const scale = o.delayHeight / delay;

  const rows: Row[] = [];
  const sendY = new Map<SegmentEvent, number>();
  const arrivalY = new Map<Arrival, number>();
  let y = 0;
  let lastT: number | null = null;
  for (const p of points) {
    if (lastT !== null && p.t > lastT) {
      const dt = p.t - lastT;
      if (dt > o.breakAfter * delay) {
        rows.push({ kind: 'break', gap: dt, y, height: o.breakHeight });
        y += o.breakHeight;
      } else {
        y += dt * scale;
      }
    }
    lastT = p.t;
    const row = p.row;
    row.y = y;
    rows.push(row);
    if (row.kind === 'event' && row.event.kind === 'segment') sendY.set(row.event, y);
    if (row.kind === 'arrival') arrivalY.set(row.arrival, y);
    // An old connection's segment arriving gets a row of its own for its note.
    y += row.kind === 'arrival' && !row.arrival.stale ? o.arrivalHeight : o.eventHeight;
  }
  return { rows, height: y, delay, sendY, arrivalY };
}
