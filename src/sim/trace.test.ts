// Packet ladders recorded by the Tracer: the article's two figures as the model draws them,
// what a ladder holds (segments with their fate and arrival, state changes per end), and
// what is recorded at all (the first connections, --trace matches, troubled ones).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltin } from '../scenario/builtin.js';
import { parseScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/types.js';
import { run, simulate } from './run.js';
import type { Ladder, SegmentEvent, StateEvent, TraceSpec } from './trace.js';
import { parseTraceMatch, TraceSpecError } from './trace.js';

const runs = new Map<string, ReturnType<typeof run>>();

/** Built-in `name` run once per file with the default trace. */
function traced(name: string): ReturnType<typeof run> {
  let r = runs.get(name);
  if (r === undefined) {
    r = run(loadBuiltin(name), { trace: {} });
    runs.set(name, r);
  }
  return r;
}

function ladderOf(ladders: readonly Ladder[], host: string, port: number): Ladder {
  const l = ladders.find((x) => x.ends.some((e) => e.host === host && e.port === port));
  assert.ok(l !== undefined, `no ladder for ${host}:${port}; have ${ladders.map((x) => x.ends.map((e) => `${e.host}:${e.port}`).join('-')).join(', ')}`);
  return l;
}

function segments(l: Ladder): SegmentEvent[] {
  return l.events.filter((e): e is SegmentEvent => e.kind === 'segment');
}

function states(l: Ladder, end: 0 | 1): string[] {
  return l.events.filter((e): e is StateEvent => e.kind === 'state' && e.end === end).map((e) => `${e.from}->${e.to}`);
}

function endIndex(l: Ladder, host: string): 0 | 1 {
  return l.ends[0].host === host ? 0 : 1;
}

describe("figure two (lost-last-ack): the final ACK is lost, TIME_WAIT answers the retransmitted FIN", () => {
  it('client 45678: the final ACK sent in FIN_WAIT_2 is dropped; the server retransmits its FIN; TIME_WAIT ACKs it; the server closes; no RST', () => {
    const l = ladderOf(traced('lost-last-ack').ladders, 'client', 45678);
    const client = endIndex(l, 'client');
    const segs = segments(l);
    const lost = segs.find((s) => s.fate === 'drop');
    assert.ok(lost !== undefined, 'a dropped segment');
    assert.equal(lost.from, client);
    assert.equal(lost.flags, '.');
    assert.equal(lost.senderState, 'FIN_WAIT_2');
    assert.deepEqual(lost.arrivals, []);

    const fins = segs.filter((s) => s.from !== client && s.flags === 'F.');
    assert.equal(fins.length, 2, 'the FIN and its retransmission');
    assert.equal(fins[0]!.retransmission, false);
    assert.equal(fins[1]!.retransmission, true);
    assert.equal(fins[1]!.seq, fins[0]!.seq);
    const rto = fins[1]!.t - fins[0]!.t;
    assert.ok(rto >= 200_000 && rto < 250_000, `retransmitted after about 200 ms (TCP_RTO_MIN on the timer wheel), got ${rto} us`);

    const reAck = segs.find((s) => s.from === client && s.t > fins[1]!.t);
    assert.ok(reAck !== undefined, 'the client answers the retransmitted FIN');
    assert.equal(reAck.senderState, 'TIME_WAIT');
    assert.equal(reAck.ack, (fins[1]!.seq + 1) >>> 0);
    assert.equal(reAck.fate, 'pass');

    assert.deepEqual(states(l, client), ['CLOSE->SYN_SENT', 'SYN_SENT->ESTABLISHED', 'ESTABLISHED->FIN_WAIT_1', 'FIN_WAIT_1->FIN_WAIT_2', 'FIN_WAIT_2->TIME_WAIT']);
    assert.deepEqual(states(l, (1 - client) as 0 | 1), ['LISTEN->SYN_RECV', 'SYN_RECV->ESTABLISHED', 'ESTABLISHED->CLOSE_WAIT', 'CLOSE_WAIT->LAST_ACK', 'LAST_ACK->CLOSE']);
    const serverClose = l.events.find((e) => e.kind === 'state' && e.to === 'CLOSE')!;
    assert.equal(serverClose.t, reAck.arrivals[0]!.at, 'the server closes when the re-ACK arrives');
    assert.ok(!segs.some((s) => s.flags.includes('R')));
    assert.deepEqual(l.marks, ['drop', 'retransmission']);
  });

  it('a passed segment arrives one link delay (50 us) after it was sent', () => {
    const l = ladderOf(traced('lost-last-ack').ladders, 'client', 45678);
    for (const s of segments(l).filter((x) => x.fate === 'pass')) assert.deepEqual(s.arrivals, [{ at: s.t + 50, copy: false, stale: false }]);
  });

  it('without TIME_WAIT (lost-last-ack-no-timewait) the retransmitted FIN meets no socket and draws an RST', () => {
    const l = ladderOf(run(loadBuiltin('lost-last-ack-no-timewait'), { trace: {} }).ladders, 'client', 45678);
    const client = endIndex(l, 'client');
    const rst = segments(l).find((s) => s.flags.includes('R'));
    assert.ok(rst !== undefined);
    assert.equal(rst.from, client);
    assert.equal(rst.senderState, '', 'sent by no socket');
    assert.equal(rst.conn, 0);
    assert.ok(l.marks.includes('rst'));
  });
});

describe('figure one (stale-segment): without TIME_WAIT a delayed duplicate is accepted by the next connection', () => {
  it("one 4-tuple carries two connections; the network's copy of connection 1's segment arrives after connection 2's handshake", () => {
    const l = ladderOf(traced('stale-segment').ladders, 'client', 45678);
    assert.deepEqual(l.connections, [2, 2]);
    assert.ok(l.marks.includes('stale'));
    const client = endIndex(l, 'client');
    const dup = segments(l).find((s) => s.fate === 'duplicate');
    assert.ok(dup !== undefined);
    assert.notEqual(dup.from, client);
    assert.equal(dup.conn, 1);
    const [original, copy] = dup.arrivals;
    assert.deepEqual(original, { at: dup.t + 500, copy: false, stale: false });
    assert.deepEqual(copy, { at: dup.t + 500 + 49_500, copy: true, stale: true });

    const established = l.events.filter((e): e is StateEvent => e.kind === 'state' && e.end === client && e.to === 'ESTABLISHED');
    assert.equal(established.length, 2);
    assert.ok(copy!.at > established[1]!.t, 'the copy lands on the new connection, after its handshake');
    // Connection 2's client acknowledges the old bytes: its ACK moves past the new server's ISN + 1.
    const synAck2 = segments(l).find((s) => s.flags === 'S.' && s.conn === 2)!;
    const ackAfter = segments(l).find((s) => s.from === client && s.t === copy!.at && s.flags === '.');
    assert.ok(ackAfter !== undefined, 'the client ACKs the copy at once');
    assert.equal((ackAfter.ack - synAck2.seq - 1) >>> 0, traced('stale-segment').result.integrity!.stale_bytes_accepted);
  });

  it('with TIME_WAIT (stale-segment-timewait) the copy finds the TIME_WAIT: the server RSTs, nothing is stale', () => {
    const l = ladderOf(run(loadBuiltin('stale-segment-timewait'), { trace: {} }).ladders, 'client', 45678);
    assert.deepEqual(l.connections, [1, 1]);
    assert.ok(l.marks.includes('rst'));
    assert.ok(!l.marks.includes('stale'));
  });

  it('long runs of plain data are folded into one event per run, with segment and byte counts', () => {
    const l = ladderOf(traced('stale-segment').ladders, 'client', 45678);
    const folded = l.events.filter((e) => e.kind === 'elided');
    assert.ok(folded.length >= 2);
    const sent = segments(l).length + folded.reduce((n, e) => n + (e.kind === 'elided' ? e.segments[0] + e.segments[1] : 0), 0);
    assert.ok(sent > 4000, `about 2 500 data segments each way and their ACKs, got ${sent}`);
    assert.ok(l.events.length < 150, `the ladder stays small: ${l.events.length} events`);
    assert.equal(l.truncated, false);
  });
});

describe('what a ladder holds', () => {
  it('a listener is no ladder; a request socket and its child read as one server socket', () => {
    const { ladders } = traced('lost-last-ack');
    assert.ok(ladders.every((l) => l.ends.every((e) => e.port !== 0)));
    const l = ladderOf(ladders, 'client', 45680);
    const server = endIndex(l, 'server');
    assert.deepEqual(states(l, server).slice(0, 2), ['LISTEN->SYN_RECV', 'SYN_RECV->ESTABLISHED']);
  });

  it('a full socket handing its 4-tuple to a timewait socket reads as one change to TIME_WAIT', () => {
    const l = ladderOf(traced('lost-last-ack').ladders, 'client', 45680);
    const client = endIndex(l, 'client');
    assert.ok(states(l, client).includes('FIN_WAIT_2->TIME_WAIT'));
    assert.ok(!states(l, client).includes('FIN_WAIT_2->CLOSE'));
  });

  it('events come in time order; the opener is end 0', () => {
    for (const l of traced('stale-segment').ladders) {
      for (let i = 1; i < l.events.length; i++) assert.ok(l.events[i]!.t >= l.events[i - 1]!.t);
      assert.equal(l.ends[0].host, 'client');
    }
  });

  it('behind a NAT each hop is its own ladder, timed by its own link', () => {
    const { ladders } = run(loadBuiltin('nat-tw-recycle'), { trace: { first: 4 } });
    const inside = ladders.find((l) => l.ends[0].host === 'client1')!;
    const outside = ladders.find((l) => l.ends[0].host === 'nat1')!;
    assert.ok(inside !== undefined && outside !== undefined);
    assert.equal(inside.ends[1].host, 'server', 'the inside hop keeps the server as its peer');
    for (const s of segments(inside)) if (s.fate === 'pass') assert.equal(s.arrivals[0]!.at - s.t, 100, 'client <-> nat1: 100 us');
    for (const s of segments(outside)) if (s.fate === 'pass') assert.equal(s.arrivals[0]!.at - s.t, 5000, 'nat1 <-> server: 5 ms');
  });
});

describe('what is recorded', () => {
  const burst = (): Scenario => loadBuiltin('small-range-burst');

  it('the first N 4-tuples, and any matching --trace beyond them', () => {
    const ports = simulate(burst()).clients[0]!.local_ports!;
    const s = burst();
    const spec: TraceSpec = { first: 5, match: [parseTraceMatch(`client:${ports[80]}->198.18.0.2:9000`, s)] };
    const { ladders } = run(s, { trace: spec });
    assert.equal(ladders.length, 6);
    assert.deepEqual(
      ladders.slice(0, 5).map((l) => l.ends[0].port),
      ports.slice(0, 5),
    );
    assert.equal(ladders[5]!.ends[0].port, ports[80]);
    assert.equal(ladders[5]!.traced, true);
    assert.ok(ladders.slice(0, 5).every((l) => !l.traced));
  });

  it('beyond the first, connections with trouble are kept, up to the limit', () => {
    const { ladders } = run(loadBuiltin('linger-rst'), { trace: { first: 0, troubled: 3 } });
    assert.equal(ladders.length, 3);
    for (const l of ladders) assert.ok(l.marks.includes('rst'));
  });

  it('beyond what is recorded, the first connections with an RST or a drop are named, once each', () => {
    const { ladders, unrecorded } = run(loadBuiltin('linger-rst'), { trace: { first: 1, troubled: 0 } });
    assert.equal(ladders.length, 1);
    assert.ok(unrecorded !== undefined);
    assert.equal(unrecorded.length, 20);
    const keys = unrecorded.map((u) => u.ends.map((e) => `${e.host}:${e.port}`).sort().join(' '));
    assert.equal(new Set(keys).size, 20, 'each connection once');
    assert.ok(!keys.includes(ladders[0]!.ends.map((e) => `${e.host}:${e.port}`).sort().join(' ')), 'not the recorded one');
    for (const u of unrecorded) assert.equal(u.mark, 'rst');
    const times = unrecorded.map((u) => u.t);
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
  });

  it('tracing only watches: the result is the same as without it', () => {
    for (const name of ['lost-last-ack', 'stale-segment', 'nat-tw-recycle']) {
      assert.deepEqual(run(loadBuiltin(name), { trace: {} }).result, simulate(loadBuiltin(name)), name);
    }
  });

  it('without a trace nothing is recorded', () => {
    const r = run(loadBuiltin('lost-last-ack'));
    assert.deepEqual(r.ladders, []);
    assert.equal(r.opens, undefined);
  });

  it('new connections per series interval: connect() calls that sent a SYN, and handshakes a listener completed', () => {
    const text = `name: opens
duration: 3s
series: 1s
hosts:
  client: { address: 198.18.0.1 }
  server: { address: 198.18.0.2 }
servers:
  - { host: server, port: 80 }
clients:
  - { host: client, target: server:80, count: 30, rate: 20/s, start: 100ms }
`;
    const { opens, result } = run(parseScenario(text, 'opens'), { trace: {} });
    assert.ok(opens !== undefined);
    assert.deepEqual(opens.t, result.series.t);
    // Connects at 100, 150, ... 1550 ms; sample k counts (t[k-1], t[k]], so 1000 ms is in the
    // first second, and the handshake it starts completes 100 us later, in the second.
    assert.deepEqual(opens.hosts['client']!.connect, [0, 19, 11, 0]);
    assert.deepEqual(opens.hosts['server']!.accept, [0, 18, 12, 0]);
    assert.deepEqual(opens.hosts['server']!.connect, [0, 0, 0, 0]);
  });
});

describe('--trace patterns', () => {
  const s = loadBuiltin('lost-last-ack');

  it('HOST:PORT->HOST:PORT with host names or addresses; * or no port for any', () => {
    const m = parseTraceMatch('client:45678->server:80', s);
    assert.deepEqual(m.ends, [
      { address: 0xb4ac2396, port: 45678 },
      { address: 0xb461216c, port: 80 },
    ]);
    assert.deepEqual(parseTraceMatch('180.172.35.150:*->server', s).ends, [
      { address: 0xb4ac2396, port: null },
      { address: 0xb461216c, port: null },
    ]);
  });

  it('a pattern matches either direction', () => {
    const { ladders } = run(s, { trace: { first: 0, troubled: 0, match: [parseTraceMatch('server:80->client:45680', s)] } });
    assert.equal(ladders.length, 1);
    assert.equal(ladders[0]!.ends[0].port, 45680);
  });

  for (const [text, message] of [
    ['client:45678', /expected HOST\[:PORT\]->HOST\[:PORT\]/],
    ['nope:1->server:80', /no host "nope" in scenario lost-last-ack; hosts: client, server/],
    ['client:70000->server:80', /port 70000 is out of range/],
    ['client:x->server:80', /"client:x" is not HOST or HOST:PORT/],
  ] as const) {
    it(`refuses ${text}`, () => {
      assert.throws(() => parseTraceMatch(text, s), (e: unknown) => e instanceof TraceSpecError && message.test(e.message));
    });
  }
});
