// The RTT estimate a connection starts with, on both ends of the handshake:
// - the active end times its SYN (tcp_input.c tcp_clean_rtx_queue -> tcp_ack_update_rtt);
// - the passive end times its first SYN-ACK (tcp_minisocks.c tcp_check_req ->
//   tcp_input.c tcp_synack_rtt_meas, req->num_retrans == 0, tcp_rsk(req)->snt_synack);
// - either, when its SYN or SYN-ACK was retransmitted (Karn), uses the timestamp the peer
//   echoed instead (tcp_ack_update_rtt, tcp_rtt_tsopt_us: whole ms, at least 1);
// - and with no sample at all starts at TCP_TIMEOUT_FALLBACK, 3 s (tcp_metrics.c
//   tcp_init_metrics, RFC 6298 5.7).
// Observed on 6.18 with `ss -ti` (docs/fidelity.md, "handshake RTT"): rto 204 ms on both
// ends of a plain handshake; 3048 ms on a client whose SYN-ACK was lost; none shown (3 s,
// which ss hides) without timestamps after a lost SYN.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MS, SEC } from '../engine/time.js';
import { ACK, FIN, SYN } from '../net/segment.js';
import type { TcpSocket } from './socket.js';
const TCP_TIMEOUT_FALLBACK = 3_000_000;
import { A_ADDR, B_ADDR, Pair } from './testkit.js';

/** 15 ms each way: a 30 ms RTT, whose RTO is 30 + max(4 * 15, 200) = 230 ms. */
const DELAY = 15 * MS;

/** Connect a -> b:80 and run until both ends are ESTABLISHED (or `t` has passed). */
function handshake(p: Pair, t = 5 * SEC): [TcpSocket, TcpSocket] {
  const l = p.listen(80);
  const c = p.a.socket();
  assert.equal(c.connect(B_ADDR, 80), 'EINPROGRESS');
  p.run(t);
  const s = l.accept();
  assert.notEqual(s, 'EAGAIN', 'nothing to accept');
  const child = s as TcpSocket;
  assert.deepEqual([c.state, child.state], ['ESTABLISHED', 'ESTABLISHED']);
  return [c, child];
}

const isSyn = (seg: { flags: number; src: number }): boolean => (seg.flags & (SYN | ACK)) === SYN && seg.src === A_ADDR;
const isSynAck = (seg: { flags: number; src: number }): boolean => (seg.flags & (SYN | ACK)) === (SYN | ACK) && seg.src === B_ADDR;

describe('handshake RTT (tcp_ack_update_rtt, tcp_synack_rtt_meas, tcp_init_metrics)', () => {
  for (const profile of ['linux-6.18', 'linux-4.4'] as const) {
    it(`${profile}: both ends time the handshake, the passive end from its SYN-ACK: srtt 30 ms, RTO 230 ms`, () => {
      const [c, s] = handshake(new Pair({ profile, delay: DELAY }));
      for (const x of [c, s]) assert.deepEqual([x.srtt, x.rto], [30 * MS, 230 * MS], x === c ? 'client' : 'accepted socket');
    });
  }

  it("so an accepted socket retransmits its FIN at that RTO, not at the handshake's 1 s", () => {
    const p = new Pair({ delay: DELAY });
    const [, s] = handshake(p);
    let finSent = -1;
    p.dropNext((seg) => seg.src === B_ADDR && (seg.flags & FIN) !== 0);
    s.close();
    finSent = p.q.now;
    p.run(2 * SEC);
    const fins = p.log.filter((l) => l.seg.src === B_ADDR && l.seg.flags & FIN);
    assert.equal(fins.length, 2);
    assert.ok(fins[0]!.dropped);
    const gap = fins[1]!.t - finSent;
    assert.ok(gap >= 230 * MS && gap < 240 * MS, `FIN retransmitted ${gap / MS} ms after the first`);
  });

  it('a retransmitted SYN is not timed (Karn); the echoed timestamp of the SYN that got through is', () => {
    const p = new Pair({ delay: DELAY });
    p.dropNext(isSyn);
    const [c, s] = handshake(p);
    assert.equal(p.log.filter((l) => isSyn(l.seg)).length, 2);
    assert.deepEqual([c.srtt, c.rto], [30 * MS, 230 * MS]);
    assert.deepEqual([s.srtt, s.rto], [30 * MS, 230 * MS]);
  });

  it('without timestamps, a client whose SYN was retransmitted has no sample: RTO 3 s (TCP_TIMEOUT_FALLBACK)', () => {
    const p = new Pair({ delay: DELAY, a: { tcp_timestamps: 0 }, b: { tcp_timestamps: 0 } });
    p.dropNext(isSyn);
    const [c, s] = handshake(p);
    assert.deepEqual([c.srtt, c.rto], [0, TCP_TIMEOUT_FALLBACK]);
    assert.deepEqual([s.srtt, s.rto], [30 * MS, 230 * MS]);
  });

  it('a lost SYN-ACK: the server takes the echo of its retransmission; the client the echo of its first SYN, ~1 s (6.18: 3048 ms)', () => {
    const p = new Pair({ delay: DELAY });
    p.dropNext(isSynAck);
    const [c, s] = handshake(p);
    assert.ok(p.log.filter((l) => isSynAck(l.seg)).length >= 2);
    assert.deepEqual([s.srtt, s.rto], [30 * MS, 230 * MS]);
    // The SYN-ACK that got through echoes the first SYN (the request sock keeps its ts_recent).
    assert.ok(c.srtt > 1000 * MS && c.srtt < 1100 * MS, `client srtt ${c.srtt / MS} ms`);
    assert.equal(c.rto, Math.round(c.srtt + 4 * (c.srtt / 2)));
  });

  it('a lost SYN-ACK without timestamps: neither end has a sample, both start at 3 s', () => {
    const p = new Pair({ delay: DELAY, a: { tcp_timestamps: 0 }, b: { tcp_timestamps: 0 } });
    p.dropNext(isSynAck);
    const [c, s] = handshake(p);
    for (const x of [c, s]) assert.deepEqual([x.srtt, x.rto], [0, TCP_TIMEOUT_FALLBACK]);
  });
});
