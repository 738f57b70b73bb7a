// A packet ladder as SVG: one lifeline per endpoint, a sloped arrow per segment (time runs
// down, so the slope is the one-way delay), tcpdump's flags and numbers beside each arrow,
// each end's state written where it changes and shown as a coloured band on its lifeline.
// Drops end in a cross; retransmissions and delays are orange, RSTs and old connections'
// segments red, the network's duplicate copies dashed. Long idle stretches are cut short
// and marked. Hovering an arrow shows the whole segment (an SVG <title>).

import type { Ladder, SegmentEvent, StateEvent } from '../sim/trace.js';
import type { TcpState } from '../tcp/state.js';
import { bytes } from './format.js';
import type { ChosenLadder, Layout } from './ladder.js';
import { endText, gapText, layoutLadder, MARK_TEXT, ms, NO_LADDER, segmentDetail, segmentLabel } from './ladder.js';
import { COPY_COLOR, ERROR_COLOR, INK, MUTED, STATE_COLOR, WARN_COLOR } from './palette.js';
import { el, esc, n } from './svg.js';

/** Geometry, in SVG user units (px at 100%). */
const G = {
  width: 1000,
  /** Right edge of the time labels. */
  timeX: 66,
  /** The two lifelines. */
  lx: 200,
  rx: 850,
  /** Space above the first row: title, why, column heads. */
  top: 96,
  bottom: 44,
};

const LAYOUT = { delayHeight: 36, eventHeight: 17, arrivalHeight: 5, breakAfter: 6, breakHeight: 30 };

/** Styles of ladder elements; the HTML report includes them once, a standalone SVG in itself. */
export const LADDER_CSS = `
.ladder { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 12px; }
.ladder .title { font-size: 15px; font-weight: 600; fill: ${INK}; }
.ladder .why { fill: ${MUTED}; }
.ladder .marks { fill: ${ERROR_COLOR}; }
.ladder .head { font-weight: 600; fill: ${INK}; }
.ladder .addr { fill: ${MUTED}; font-size: 11px; }
.ladder .time { fill: ${MUTED}; font-size: 10px; font-family: ui-monospace, Menlo, Consolas, monospace; }
.ladder .life { stroke: #c8c8c8; stroke-width: 1.5; }
.ladder .seg line, .ladder .seg path { stroke: ${INK}; stroke-width: 1.2; fill: none; }
.ladder .seg polygon { fill: ${INK}; }
.ladder .state, .ladder .elided text, .ladder .conn text { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.ladder .seg text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px; fill: ${INK};
  paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.ladder .seg:hover line, .ladder .seg:hover path { stroke-width: 2.5; }
.ladder .seg.warn line, .ladder .seg.warn path { stroke: ${WARN_COLOR}; }
.ladder .seg.warn polygon { fill: ${WARN_COLOR}; }
.ladder .seg.bad line, .ladder .seg.bad path { stroke: ${ERROR_COLOR}; stroke-width: 1.8; }
.ladder .seg.bad polygon { fill: ${ERROR_COLOR}; }
.ladder .seg.bad text.lbl, .ladder .seg .note { fill: ${ERROR_COLOR}; }
.ladder .seg .copy { stroke: ${COPY_COLOR}; stroke-dasharray: 5 3; }
.ladder .seg .copy.stale { stroke: ${ERROR_COLOR}; stroke-width: 2.2; }
.ladder .seg polygon.copy { fill: ${COPY_COLOR}; stroke: none; }
.ladder .seg polygon.copy.stale { fill: ${ERROR_COLOR}; }
.ladder .seg .drop { stroke: ${ERROR_COLOR}; stroke-width: 2; }
.ladder .state { font-size: 11px; font-weight: 600; }
.ladder .brk rect { fill: #f4f4f4; }
.ladder .brk line { stroke: #bdbdbd; stroke-dasharray: 3 3; }
.ladder .brk text { fill: ${MUTED}; font-style: italic; font-size: 11px; }
.ladder .elided text { fill: ${MUTED}; font-style: italic; font-size: 11px; }
.ladder .conn line { stroke: #9e9e9e; stroke-dasharray: 6 4; }
.ladder .conn text { fill: ${MUTED}; font-size: 11px; font-weight: 600; }
.ladder .legend { fill: ${MUTED}; font-size: 11px; }
`;

/** One ladder as an <svg> element, for inlining in HTML. */
export function ladderSvg(c: ChosenLadder): string {
  const { body, height } = ladderBody(c);
  return el('svg', { class: 'ladder', viewBox: `0 0 ${G.width} ${n(height)}`, width: G.width, height, role: 'img', 'aria-label': `packet ladder ${endText(c.ladder, 0)} to ${endText(c.ladder, 1)}` }, body);
}

/** A standalone SVG file with the ladders one under the other (`--ladder FILE.svg`). */
export function laddersSvgFile(chosen: readonly ChosenLadder[], heading: string, none = NO_LADDER): string {
  const parts: string[] = [];
  let y = 40;
  for (const c of chosen) {
    const { body, height } = ladderBody(c);
    parts.push(`<g transform="translate(0 ${n(y)})">${body}</g>`);
    y += height + 24;
  }
  if (chosen.length === 0) {
    parts.push(el('text', { x: 16, y: 70, class: 'why' }, esc(none)));
    y += 50;
  }
  const title = el('text', { x: 16, y: 24, class: 'title' }, esc(heading));
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" class="ladder" viewBox="0 0 ${G.width} ${n(y)}" width="${G.width}" height="${n(y)}">` +
    `<style>${LADDER_CSS}</style><rect width="100%" height="100%" fill="#fff"/>${title}${parts.join('')}</svg>\n`
  );
}

function ladderBody(c: ChosenLadder): { body: string; height: number } {
  const l = c.ladder;
  const layout = layoutLadder(l, LAYOUT);
  const top = G.top;
  const bottom = top + layout.height + 8;
  const out: string[] = [];

  // Header: which connection, why it is shown, what went wrong.
  out.push(el('text', { x: 16, y: 20, class: 'title' }, esc(`${endText(l, 0)} ⇄ ${endText(l, 1)}`)));
  out.push(el('text', { x: 16, y: 38, class: 'why' }, esc(`Why here: ${c.why.join('; ')}.${l.truncated ? ' Recording stopped at its event limit.' : ''}`)));
  const marks = l.marks.map((m) => MARK_TEXT[m]).join(' · ');
  out.push(el('text', { x: 16, y: 55, class: 'why' }, `${marks !== '' ? `<tspan class="marks">${esc(marks)}</tspan>  ` : ''}${esc(connectionsText(l))}`));
  for (const e of [0, 1] as const) {
    const x = e === 0 ? G.lx : G.rx;
    out.push(el('text', { x, y: 74, class: 'head', 'text-anchor': 'middle' }, esc(l.ends[e].host)));
    out.push(el('text', { x, y: 88, class: 'addr', 'text-anchor': 'middle' }, esc(`${l.ends[e].address}:${l.ends[e].port}`)));
  }
  out.push(el('text', { x: G.timeX, y: 88, class: 'time', 'text-anchor': 'end' }, 'ms'));

  // Lifelines, then each end's state as a band on its lifeline.
  for (const x of [G.lx, G.rx]) out.push(el('line', { class: 'life', x1: x, y1: top - 4, x2: x, y2: bottom }));
  out.push(stateBands(layout, top, bottom));

  // Idle stretches cut short.
  for (const row of layout.rows) {
    if (row.kind !== 'break') continue;
    const y = top + row.y;
    out.push(
      `<g class="brk">` +
        el('rect', { x: 0, y: y + 3, width: G.width, height: row.height - 6 }) +
        el('line', { x1: 0, y1: y + 3, x2: G.width, y2: y + 3 }) +
        el('line', { x1: 0, y1: y + row.height - 3, x2: G.width, y2: y + row.height - 3 }) +
        el('text', { x: (G.lx + G.rx) / 2, y: y + row.height / 2 + 4, 'text-anchor': 'middle' }, esc(`… ${gapText(row.gap)} later …`)) +
        `</g>`,
    );
  }

  const firstEvent = out.length;
  // Events: times, state changes, folded runs, new connections, segments (drawn last, on top).
  const arrows: string[] = [];
  const labels: string[] = [];
  let lastTime = '';
  const synSent = [0, 0];
  for (const row of layout.rows) {
    if (row.kind !== 'event') continue;
    const y = top + row.y;
    const ev = row.event;
    const time = ms(ev.t);
    if (time !== lastTime && ev.kind !== 'elided') {
      out.push(el('text', { x: G.timeX, y: y + 12, class: 'time', 'text-anchor': 'end' }, time));
      lastTime = time;
    }
    switch (ev.kind) {
      case 'state':
        if (ev.to === 'SYN_SENT' && ++synSent[ev.end]! > 1) out.push(connectionLine(y, synSent[ev.end]!));
        out.push(stateLabel(ev, y));
        break;
      case 'elided': {
        const dirs = [0, 1]
          .filter((e) => ev.segments[e]! > 0)
          .map((e) => `${ev.segments[e]} ${e === 0 ? '→' : '←'}${ev.bytes[e]! > 0 ? ` (${bytes(ev.bytes[e]!)})` : ''}`);
        const text = `⋮ ${dirs.join(' and ')} plain segments not drawn, ${ms(ev.t)}–${ms(ev.until)} ms ⋮`;
        out.push(`<g class="elided">${el('text', { x: (G.lx + G.rx) / 2, y: y + 12, 'text-anchor': 'middle' }, esc(text))}</g>`);
        break;
      }
      case 'segment': {
        const { lines, text } = segmentArrow(l, ev, layout, top);
        arrows.push(lines);
        labels.push(text);
        break;
      }
    }
  }
  // Arrows under every label: a label stays readable where other arrows cross it.
  out.splice(firstEvent, 0, ...arrows);
  out.push(...labels);

  const legend = [
    `Time runs down: ${LAYOUT.delayHeight} px is ${gapText(layout.delay)}, the usual one-way delay here; grey bands cut long waits short. Hover an arrow for the whole segment.`,
    'Orange: retransmitted or delayed. Red: RST, or an old connection’s segment arriving. Dashed: a copy the network duplicated. ✕: dropped.',
  ];
  legend.forEach((line, i) => out.push(el('text', { x: 16, y: bottom + 18 + i * 15, class: 'legend' }, esc(line))));
  return { body: out.join(''), height: bottom + G.bottom };
}

function connectionsText(l: Ladder): string {
  const k = Math.max(l.connections[0], l.connections[1]);
  return k > 1 ? `${k} connections used this 4-tuple one after the other.` : '';
}

function stateLabel(ev: StateEvent, y: number): string {
  const left = ev.end === 0;
  const x = left ? G.lx : G.rx;
  const color = STATE_COLOR[ev.to];
  return (
    el('circle', { cx: x, cy: y + 8, r: 3.5, fill: color }) +
    el('text', { x: left ? x - 12 : x + 12, y: y + 12, class: 'state', fill: color, 'text-anchor': left ? 'end' : 'start' }, esc(ev.to))
  );
}

function connectionLine(y: number, k: number): string {
  return (
    `<g class="conn">` +
    el('line', { x1: G.timeX + 6, y1: y, x2: G.width - 8, y2: y }) +
    el('text', { x: (G.lx + G.rx) / 2, y: y + 13, 'text-anchor': 'middle' }, `connection ${k} on the same 4-tuple`) +
    `</g>`
  );
}

/** Each end's state over the drawing as coloured bands on its lifeline. */
function stateBands(layout: Layout, top: number, bottom: number): string {
  const out: string[] = [];
  const current: [TcpState | null, TcpState | null] = [null, null];
  const since = [top, top];
  const close = (e: 0 | 1, y: number): void => {
    const s = current[e];
    if (s === null || s === 'CLOSE' || s === 'LISTEN' || y <= since[e]!) return;
    const x = e === 0 ? G.lx : G.rx;
    out.push(el('rect', { x: x - 3, y: since[e], width: 6, height: y - since[e]!, fill: STATE_COLOR[s], opacity: 0.75 }, `<title>${esc(s)}</title>`));
  };
  for (const row of layout.rows) {
    if (row.kind !== 'event' || row.event.kind !== 'state') continue;
    const ev = row.event;
    const y = top + row.y + 8;
    close(ev.end, y);
    current[ev.end] = ev.to;
    since[ev.end] = y;
  }
  close(0, bottom);
  close(1, bottom);
  return out.join('');
}

/** A segment's arrow(s) and its label, separately: labels go on top of every arrow. */
function segmentArrow(l: Ladder, s: SegmentEvent, layout: Layout, top: number): { lines: string; text: string } {
  const left = s.from === 0;
  const x0 = left ? G.lx : G.rx;
  const x1 = left ? G.rx : G.lx;
  const ys = top + layout.sendY.get(s)! + 14;
  const bad = s.flags.includes('R') || s.arrivals.some((a) => a.stale && !a.copy);
  const warn = s.retransmission || s.fate === 'delay';
  const cls = `seg${bad ? ' bad' : warn ? ' warn' : ''}`;
  const title = `<title>${esc(segmentDetail(l, s))}</title>`;
  const notes = shortNotes(s);
  const label = segmentLabel(s) + (notes.length > 0 ? ` · ${notes.join(' · ')}` : '');
  const texts: string[] = [el('text', { class: 'lbl', x: left ? x0 + 8 : x0 - 8, y: ys - 3, 'text-anchor': left ? 'start' : 'end' }, esc(label))];
  const lines: string[] = [];
  if (s.fate === 'drop') {
    // Lost on the way: the arrow stops part way, with a cross.
    const f = 0.55;
    const xe = x0 + (x1 - x0) * f;
    const ye = ys + LAYOUT.delayHeight * f;
    lines.push(el('line', { x1: x0, y1: ys, x2: xe, y2: ye }));
    lines.push(el('path', { class: 'drop', d: `M${n(xe - 6)} ${n(ye - 6)}L${n(xe + 6)} ${n(ye + 6)}M${n(xe - 6)} ${n(ye + 6)}L${n(xe + 6)} ${n(ye - 6)}` }));
  }
  for (const a of s.arrivals) {
    const ya = top + layout.arrivalY.get(a)! + 2;
    const copyCls = a.copy ? `copy${a.stale ? ' stale' : ''}` : undefined;
    lines.push(el('line', { class: copyCls, x1: x0, y1: ys, x2: x1, y2: ya }));
    lines.push(el('polygon', { class: copyCls, points: arrowHead(x0, ys, x1, ya) }));
    if (a.stale) {
      const note = `${a.copy ? 'the copy of ' : ''}connection ${s.conn}’s segment (sent ${ms(s.t)} ms) arrives on a newer connection`;
      texts.push(el('text', { class: 'note', x: left ? x1 - 10 : x1 + 10, y: ya + 13, 'text-anchor': left ? 'end' : 'start' }, esc(note)));
    }
  }
  return { lines: `<g class="${cls}">${title}${lines.join('')}</g>`, text: `<g class="${cls}">${title}${texts.join('')}</g>` };
}

/** What to say on the arrow beside its label; the tooltip says more. */
function shortNotes(s: SegmentEvent): string[] {
  const notes: string[] = [];
  if (s.retransmission) notes.push('retransmission');
  if (s.fate === 'drop') notes.push('dropped');
  if (s.fate === 'delay') notes.push(`delayed +${gapText(s.arrivals[0]!.at - s.t)}`);
  if (s.fate === 'duplicate') notes.push('duplicated by the network');
  return notes;
}

/** A filled arrowhead at (x1, y1) pointing along the line from (x0, y0). */
function arrowHead(x0: number, y0: number, x1: number, y1: number): string {
  const len = Math.hypot(x1 - x0, y1 - y0) || 1;
  const ux = (x1 - x0) / len;
  const uy = (y1 - y0) / len;
  const size = 8;
  const bx = x1 - ux * size;
  const by = y1 - uy * size;
  return `${n(x1)},${n(y1)} ${n(bx - uy * 3.5)},${n(by + ux * 3.5)} ${n(bx + uy * 3.5)},${n(by - ux * 3.5)}`;
}
