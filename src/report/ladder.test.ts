// Packet ladders as the reports draw them: which are chosen, how a segment is labelled, the
// time-scaled layout, and the article's two figures in text and SVG.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltin } from '../scenario/builtin.js';
import { run } from '../sim/run.js';
import type { Ladder, SegmentEvent } from '../sim/trace.js';
import { chooseLadders, layoutLadder, segmentLabel, tracedLadders } from './ladder.js';
import { ladderSvg, laddersSvgFile } from './ladder-svg.js';
import { renderLaddersText } from './ladder-text.js';

const figureTwo = run(loadBuiltin('lost-last-ack'), { trace: {} });
const figureOne = run(loadBuiltin('stale-segment'), { trace: {} });

function segment(fields: Partial<SegmentEvent>): SegmentEvent {
  return { kind: 'segment', t: 0, from: 0, flags: '.', seq: 1000, ack: 2000, len: 0, win: 65535, ts: null, fate: 'pass', arrivals: [], retransmission: false, conn: 1, senderState: 'ESTABLISHED', ...fields };
}

function ladder(order: number, marks: Ladder['marks'] = [], traced = false): Ladder {
  return {
    order,
    ends: [
      { host: 'client', address: '198.18.0.1', port: 40000 + order },
      { host: 'server', address: '198.18.0.2', port: 80 },
    ],
    events: [],
    marks,
    traced,
    connections: [1, 1],
    truncated: false,
  };
}

describe('choosing ladders', () => {
  it('the first connection, the first with trouble, and those where an old segment arrived; each once, with every reason', () => {
    const ls = [ladder(3, ['stale']), ladder(0), ladder(1, ['rst']), ladder(2, ['stale', 'rst'])];
    const chosen = chooseLadders(ls);
    assert.deepEqual(
      chosen.map((c) => [c.ladder.order, c.why]),
      [
        [0, ['the first connection']],
        [1, ['the first connection with trouble']],
        [2, ["an old connection's segment arrived on a new one"]],
        [3, ["an old connection's segment arrived on a new one"]],
      ],
    );
    assert.deepEqual(
      chooseLadders([ladder(0, ['drop'])]).map((c) => c.why),
      [['the first connection', 'the first connection with trouble']],
    );
    assert.equal(chooseLadders([ladder(0), ladder(1, ['rst']), ladder(2, ['stale'])], 2).length, 2);
  });

  it('with --trace, only the matching ones', () => {
    const chosen = tracedLadders([ladder(0), ladder(5, [], true), ladder(2, [], true)]);
    assert.deepEqual(
      chosen.map((c) => c.ladder.order),
      [2, 5],
    );
  });
});

describe('segment labels: tcpdump flags, absolute numbers', () => {
  it('SYN, data with a range, timestamps', () => {
    assert.equal(segmentLabel(segment({ flags: 'S', seq: 4052834817 })), '[S] seq 4052834817');
    assert.equal(segmentLabel(segment({ flags: 'P.', seq: 100, len: 300 })), '[P.] seq 100:400 ack 2000');
    assert.equal(segmentLabel(segment({ flags: '.', ts: { val: 7, ecr: 5 } })), '[.] seq 1000 ack 2000 TSval 7 ecr 5');
    assert.equal(segmentLabel(segment({ flags: 'R', seq: 4294967295 })), '[R] seq 4294967295');
    assert.equal(segmentLabel(segment({ seq: 4294967000, len: 1000 })), '[.] seq 4294967000:704 ack 2000', 'the range wraps as sequence numbers do');
  });
});

describe('layout: time runs down, scaled by the one-way delay', () => {
  const opts = { delayHeight: 36, eventHeight: 17, arrivalHeight: 5, breakAfter: 6, breakHeight: 30 };

  it('every arrow goes down; a long wait becomes one break of fixed height', () => {
    const l = figureTwo.ladders[0]!;
    const layout = layoutLadder(l, opts);
    assert.equal(layout.delay, 50);
    for (const ev of l.events) {
      if (ev.kind !== 'segment') continue;
      for (const a of ev.arrivals) assert.ok(layout.arrivalY.get(a)! > layout.sendY.get(ev)!, 'arrives below where it was sent');
    }
    const breaks = layout.rows.filter((r) => r.kind === 'break');
    assert.equal(breaks.length, 1, 'the wait for the retransmission');
    assert.ok(breaks[0]!.kind === 'break' && breaks[0]!.gap > 200_000);
    const ys = layout.rows.map((r) => r.y);
    assert.deepEqual(ys, [...ys].sort((a, b) => a - b), 'rows go down in order');
  });

  it('a stretch of one one-way delay is delayHeight tall', () => {
    const l = figureTwo.ladders[0]!;
    const layout = layoutLadder(l, opts);
    const syn = l.events.find((e) => e.kind === 'segment' && e.flags === 'S') as SegmentEvent;
    const synRecv = layout.rows.find((r) => r.kind === 'event' && r.event.kind === 'state' && r.event.to === 'SYN_RECV')!;
    // The SYN is sent at 0 (its row under the SYN_SENT row) and arrives 50 us, one delay, after its row ends.
    assert.equal(layout.arrivalY.get(syn.arrivals[0]!)! - (layout.sendY.get(syn)! + opts.eventHeight), opts.delayHeight);
    assert.ok(synRecv.y > layout.arrivalY.get(syn.arrivals[0]!)!, "the server's reaction comes after the arrival");
  });
});

describe('figure two as text', () => {
  const text = renderLaddersText(chooseLadders(figureTwo.ladders));

  it('the dropped final ACK, the wait, the retransmitted FIN and the ACK from TIME_WAIT, in order', () => {
    const lines = text.split('\n');
    const at = (re: RegExp): number => {
      const i = lines.findIndex((l) => re.test(l));
      assert.ok(i >= 0, `no line matching ${re}\n${text}`);
      return i;
    };
    const dropped = at(/0\.300 +├─ \[\.\] seq \d+ ack \d+ ─+✕ +│ +dropped$/);
    const timeWait = at(/0\.300 +TIME_WAIT │/);
    const wait = at(/┆ +⋯ 207\.7 ms later ⋯ +┆/);
    const retrans = at(/208\.000 +│◀─+ \[F\.\] seq \d+ ack \d+ ─┤ +retransmission, arrives 208\.050$/);
    const reAck = at(/208\.050 +├─ \[\.\] seq \d+ ack \d+ ─+▶│ +arrives 208\.100$/);
    const closed = at(/208\.100 +│ +│ CLOSE$/);
    assert.ok(dropped < timeWait && timeWait < wait && wait < retrans && retrans < reAck && reAck < closed);
    assert.ok(!/\[R/.test(text), 'no RST anywhere');
  });

  it('says why each ladder is there and what went wrong', () => {
    assert.match(text, /^client 180\.172\.35\.150:45678 ⇄ server 180\.97\.33\.108:80$/m);
    assert.match(text, /^Why here: the first connection; the first connection with trouble\.$/m);
    assert.match(text, /^segment dropped · retransmission$/m);
  });

  it('colour only when asked', () => {
    assert.ok(!text.includes('\x1b['));
    assert.ok(renderLaddersText(chooseLadders(figureTwo.ladders), { color: true }).includes('\x1b[31m'));
  });

  it('no ladder: one sentence', () => {
    assert.equal(renderLaddersText([]), 'No connection sent a segment in this run, so there is no ladder to draw.\n');
  });
});

describe('figure one as text', () => {
  it("the copy of connection 1's segment arrives, in time order, on connection 2", () => {
    const text = renderLaddersText(chooseLadders(figureOne.ladders));
    const lines = text.split('\n');
    const second = lines.findIndex((l) => l.includes('connection 2 on the same 4-tuple'));
    const copy = lines.findIndex((l) => /^ +101\.500 +│◀╌+ copy: \[\.\] seq \d+:\d+ ack \d+ \(sent 51\.500\) │ +connection 1's segment on a newer connection$/.test(l));
    assert.ok(second > 0 && copy > second, text);
    assert.match(text, /51\.500 .*arrives 52\.000, copy arrives 101\.500 \(stale\)$/m);
  });
});

describe('SVG ladders', () => {
  it('one group per arrow, a cross for the drop, state labels on both sides', () => {
    const chosen = chooseLadders(figureTwo.ladders);
    const svg = ladderSvg(chosen[0]!);
    const segs = figureTwo.ladders[0]!.events.filter((e) => e.kind === 'segment').length;
    assert.equal((svg.match(/<g class="seg[^"]*"><title>/g) ?? []).length, 2 * segs, 'an arrow group and a label group per segment');
    assert.equal((svg.match(/class="drop"/g) ?? []).length, 1);
    assert.equal((svg.match(/<g class="seg warn">/g) ?? []).length, 2, 'the retransmitted FIN is orange');
    for (const state of ['SYN_SENT', 'FIN_WAIT_2', 'TIME_WAIT', 'LAST_ACK', 'CLOSE']) assert.ok(svg.includes(`>${state}</text>`), state);
    assert.ok(svg.includes('… 207.7 ms later …'));
  });

  it('figure one: the stale copy is drawn red and dashed, and said so where it lands', () => {
    const svg = ladderSvg(chooseLadders(figureOne.ladders)[0]!);
    assert.equal((svg.match(/<line class="copy stale"/g) ?? []).length, 1);
    assert.ok(svg.includes('the copy of connection 1’s segment (sent 51.500 ms) arrives on a newer connection'));
    assert.ok(svg.includes('connection 2 on the same 4-tuple'));
  });

  it('a standalone file: XML declaration, namespace, its own style, every ladder', () => {
    const file = laddersSvgFile(chooseLadders([...figureTwo.ladders]), 'lost-last-ack');
    assert.ok(file.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.ok(file.includes('<style>'));
    assert.equal((file.match(/<g transform="translate\(0 /g) ?? []).length, chooseLadders([...figureTwo.ladders]).length);
    assert.ok(!/href=|src=/.test(file), 'nothing to fetch');
  });

  it('text in the SVG is escaped', () => {
    const l = ladder(0);
    l.ends[0].host = '<b>&"x';
    const svg = ladderSvg({ ladder: l, why: ['a <test>'] });
    assert.ok(svg.includes('&lt;b&gt;&amp;&quot;x'));
    assert.ok(!svg.includes('<b>'));
    assert.ok(svg.includes('a &lt;test&gt;'));
  });
});
