// Loss recovery after a retransmission timeout, without SACK (the model sends no SACK blocks):
// - tcp_input.c tcp_enter_loss (via tcp_timer.c tcp_retransmit_timer): every outstanding
//   segment is marked lost (tcp_timeout_mark_lost), cwnd becomes 1, ssthresh comes from cwnd
//   (tcp_cubic.c cubictcp_recalc_ssthresh: cwnd * 717 / 1024), high_seq = snd_nxt;
// - tcp_input.c tcp_process_loss + tcp_output.c tcp_xmit_retransmit_queue: each ACK that moves
//   snd_una grows cwnd (slow start) and lets the next lost segments go at once, go-back-N,
//   until snd_una passes high_seq; not one more RTO per lost segment;
// - F-RTO (RFC 5682, tcp_frto = 2): on the first such ACK, unsent data goes before the lost
//   segments; duplicate ACKs of it prove the loss (step 3.a) and clock the retransmissions;
// - tcp_ack_update_rtt: the timestamp echoed for a retransmission is an RTT sample, which
//   resets the backed-off RTO (icsk_backoff = 0); without timestamps Karn keeps it.
// Seen on Linux 6.18.44: docs/observations/10-rto-loss-go-back-n.pkt (docs/fidelity.md section 22).
//
// Two hosts 10 ms apart (20 ms RTT): the handshake gives RTO = 20 + max(4 * 10, 200) = 220 ms,
// which the 1000 Hz timer wheel rounds up to 224 ms.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MS } from '../engine/time.js';
import type { Micros } from '../engine/time.js';
import type { Segment } from '../net/segment.js';
import { A_ADDR, B_ADDR, Pair } from './testkit.js';
import type { PairOptions } from './testkit.js';
import type { TcpSocket } from './socket.js';
import { DEFAULT_MSS, TCPOLEN_TSTAMP_ALIGNED } from './profile.js';

/** A full segment's payload with timestamps on (the default): 1460 - 12 (tcp_sync_mss). */
const MSS = DEFAULT_MSS - TCPOLEN_TSTAMP_ALIGNED;

const DELAY = 10 * MS;
/** When the first RTO of the connection fires after the data left (220 ms on the timer wheel). */
const RTO_FIRES = 224 * MS;

/** A client a and its server b, ESTABLISHED; the server reads everything that arrives. */
function connection(o: PairOptions = {}): { p: Pair; c: TcpSocket } {
  const p = new Pair({ delay: DELAY, ...o });
  const l = p.listen();
  const c = p.a.socket();
  assert.equal(c.connect(B_ADDR, 80), 'EINPROGRESS');
  p.run(100 * MS);
  const s = l.accept();
  assert.notEqual(s, 'EAGAIN');
  (s as TcpSocket).events.readable = (x) => {
    while (typeof x.recv(1 << 20) === 'number' && x.rcvQueue > 0);
  };
  assert.equal(c.rto, 220 * MS);
  return { p, c };
}

const isData = (seg: Segment): boolean => seg.src === A_ADDR && seg.len > 0;

/** Drop the next `n` data segments from the client. */
function dropData(p: Pair, n: number): void {
  for (let i = 0; i < n; i++) p.dropNext(isData);
}

/** A connection whose next `drops` data segments are lost, then `segments` segments sent; `from` and `t0` mark where. */
function lossy(drops: number, segments: number, o: PairOptions = {}): { p: Pair; c: TcpSocket; from: number; t0: Micros } {
  const { p, c } = connection(o);
  dropData(p, drops);
  const from = p.log.length;
  const t0 = p.q.now;
  c.send(segments * MSS);
  return { p, c, from, t0 };
}

/** The client's data segments from log index `from` on: [ms after t0, segment number, dropped]. */
function dataSent(p: Pair, c: TcpSocket, from: number, t0: Micros): [number, number, boolean][] {
  return p.log
    .slice(from)
    .filter((l) => isData(l.seg))
    .map((l) => [(l.t - t0) / MS, (l.seg.seq - c.iss - 1) / MSS, l.dropped]);
}

describe('Loss state (tcp_enter_loss, tcp_process_loss, tcp_xmit_retransmit_queue)', () => {
  it('two consecutive segments lost: the second goes on the ACK of the first one\'s retransmission, not at a second (backed-off) RTO', () => {
    const { p, c, from, t0 } = lossy(2, 2);
    p.run(2000 * MS);
    // Segment 0 again at the RTO; its ACK is back 20 ms later and lets segment 1 go at once
    // (the old model waited for a second, doubled RTO: at 696 ms).
    assert.deepEqual(dataSent(p, c, from, t0), [
      [0, 0, true],
      [0, 1, true],
      [224, 0, false],
      [244, 1, false],
    ]);
    assert.equal(c.sndUna, c.sndNxt, 'all acked');
    assert.equal(p.a.mib.TcpRetransSegs, 2, 'one per retransmitted segment');
  });

  it('go-back-N: the ACK of the head grows cwnd to 2 and both next segments go, though the receiver holds one of them (no SACK)', () => {
    const { p, c, from, t0 } = lossy(2, 4);
    p.run(RTO_FIRES + 1 * MS);
    // tcp_enter_loss: cwnd 1 segment, ssthresh = 10 * 717 / 1024 = 7 segments.
    assert.equal(c.caState, 'Loss');
    assert.equal(c.cwnd, MSS);
    assert.equal(c.ssthresh, 7 * MSS);
    p.run(2000 * MS);
    assert.deepEqual(dataSent(p, c, from, t0), [
      [0, 0, true],
      [0, 1, true],
      [0, 2, false],
      [0, 3, false],
      [224, 0, false],
      [244, 1, false],
      [244, 2, false],
    ]);
    assert.equal(c.sndUna, c.sndNxt, 'all acked');
    assert.equal(p.a.mib.TcpRetransSegs, 3);
    assert.equal(p.a.mib.TcpExtTCPFastRetrans, 0, 'the duplicate ACKs in Loss do not fast-retransmit');
  });

  it('F-RTO step 2.b: with unsent data, the first ACK after the RTO sends new data first; its duplicate ACKs (step 3.a) clock out the lost segments', () => {
    const { p, c, from, t0 } = lossy(2, 4);
    p.run(230 * MS);
    c.send(2 * MSS); // after the RTO: cwnd is 1 and taken by the retransmission, so it waits
    p.run(2000 * MS);
    assert.deepEqual(dataSent(p, c, from, t0), [
      [0, 0, true],
      [0, 1, true],
      [0, 2, false],
      [0, 3, false],
      [224, 0, false],
      [244, 4, false], // new data, not segment 1
      [244, 5, false],
      [264, 1, false], // one per duplicate ACK (tcp_add_reno_sack)
      [264, 2, false],
    ]);
    assert.equal(c.sndUna, c.sndNxt, 'all acked');
    assert.equal(c.caState, 'Open', 'snd_una passed high_seq');
    assert.equal(p.a.mib.TcpRetransSegs, 3);
  });

  it('a timeout repeating on the same snd_una backs off again and keeps ssthresh ("not yet been made inside this window")', () => {
    const { p, c, from, t0 } = lossy(3, 2); // segments 0, 1 and the first retransmission of 0
    p.run(RTO_FIRES + 1 * MS);
    assert.equal(c.ssthresh, 7 * MSS);
    p.run(2000 * MS);
    assert.deepEqual(dataSent(p, c, from, t0), [
      [0, 0, true],
      [0, 1, true],
      [224, 0, true],
      [696, 0, false], // the doubled RTO, 440 ms, as the timer wheel rounds it
      [716, 1, false],
    ]);
    assert.equal(c.ssthresh, 7 * MSS);
    assert.equal(p.a.mib.TcpRetransSegs, 3);
  });
});

describe('Karn on fast retransmit (tcp_clean_rtx_queue: FLAG_RETRANS_DATA_ACKED gives no clock sample)', () => {
  it('the ACK of a fast-retransmitted segment is no RTT sample: srtt stays at the 20 ms path', () => {
    const { p, c, from, t0 } = lossy(1, 6, { a: { tcp_timestamps: 0 }, b: { tcp_timestamps: 0 } });
    assert.equal(c.srtt, 20 * MS, "the handshake's sample");
    p.run(1000 * MS);
    assert.equal(p.a.mib.TcpExtTCPFastRetrans, 1);
    const sent = dataSent(p, c, from, t0);
    assert.deepEqual(sent[sent.length - 1], [20, 0, false], 'segment 0 again on the third duplicate ACK');
    assert.equal(c.sndUna, c.sndNxt, 'all acked');
    // Timed from its first transmission, segment 0 would give 40 ms and pull srtt to 22.5 ms.
    assert.equal(c.srtt, 20 * MS);
  });
});

describe('Karn for data sent during Loss, ssthresh at fast retransmit, the echoed-timestamp floor', () => {
  it('new data F-RTO sent after the RTO, acked together with retransmitted data, is no clock sample (FLAG_RETRANS_DATA_ACKED)', () => {
    for (const [ts, rto] of [[1, 220], [0, 440]] as const) {
      const { p, c } = lossy(2, 4, { a: { tcp_timestamps: ts }, b: { tcp_timestamps: ts } });
      p.run(230 * MS);
      c.send(2 * MSS); // timed by the clock, but waits at the receiver behind the hole
      p.run(2000 * MS);
      assert.equal(c.sndUna, c.sndNxt, 'all acked');
      // Timed by the clock it would give 40 ms on this 20 ms path (srtt 22.5 ms). With
      // timestamps the echoes give 20 ms; without, no sample, and the RTO stays backed off.
      assert.deepEqual([c.srtt / MS, c.rto / MS], [20, rto], `tcp_timestamps ${ts}`);
    }
  });

  it('tcp_enter_recovery: a fast retransmit sets ssthresh (CUBIC: 10 segments -> 7) and cwnd to it, so slow start ends', () => {
    const { p, c } = lossy(1, 6);
    p.run(1000 * MS);
    assert.equal(p.a.mib.TcpExtTCPFastRetrans, 1);
    assert.equal(c.ssthresh, 7 * MSS);
    assert.ok(c.cwnd >= 7 * MSS && c.cwnd < 8 * MSS, `cwnd ${c.cwnd / MSS} segments: congestion avoidance from 7`);
  });

  it('tcp_rtt_tsopt_us: an echoed-timestamp sample is whole milliseconds, at least 1 ms, on a 200 us path', () => {
    const p = new Pair({ delay: 100 });
    const l = p.listen();
    const c = p.a.socket();
    c.connect(B_ADDR, 80);
    p.run(100 * MS);
    const s = l.accept() as TcpSocket;
    s.events.readable = (x) => {
      while (typeof x.recv(1 << 20) === 'number' && x.rcvQueue > 0);
    };
    assert.equal(c.srtt, 200, 'the handshake timed by the clock');
    dropData(p, 2);
    c.send(2 * MSS);
    p.run(3000 * MS);
    assert.equal(c.sndUna, c.sndNxt);
    // Two 1 ms samples from the echoes of the retransmissions: 200 -> 300 -> 387.5 us.
    assert.equal(c.srtt, 387.5);
  });
});

describe('RTO backoff after recovery (tcp_ack_update_rtt, tcp_rearm_rto)', () => {
  it('with timestamps, the echo of a retransmission is a sample: the RTO is computed afresh from srtt, not left doubled', () => {
    const { p, c } = lossy(2, 2);
    p.run(2000 * MS);
    // Samples of 20 ms: srtt 20 ms, rttvar 7.5 ms, RTO 20 + max(4 * 7.5, 200) = 220 ms (not 440).
    assert.equal(c.rto, 220 * MS);
    // So the next lost segment waits one RTO, not two.
    const from = p.log.length;
    const t0 = p.q.now;
    dropData(p, 1);
    c.send(MSS);
    p.run(2000 * MS);
    const sent = dataSent(p, c, from, t0);
    assert.equal(sent.length, 2);
    assert.ok(sent[1]![0] < 240, `retransmitted after ${sent[1]![0]} ms`);
  });

  it('without timestamps, Karn: no sample from retransmitted data, the RTO stays doubled until data sent once is acked', () => {
    const { p, c } = lossy(2, 2, { a: { tcp_timestamps: 0 }, b: { tcp_timestamps: 0 } });
    p.run(2000 * MS);
    assert.equal(c.rto, 440 * MS);
    c.send(MSS); // timed: its ACK is a clean sample
    p.run(1000 * MS);
    assert.ok(c.rto < 300 * MS, `rto ${c.rto / MS} ms`);
  });
});
