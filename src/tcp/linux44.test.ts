// The linux-4.4 profile: what changed since (tcp_tw_recycle, the pre-4.6 port search,
// timestamps without per-connection offsets, the old tw_reuse age test).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MS, SEC } from '../engine/time.js';
import { SYN, Segment } from '../net/segment.js';
import { A_ADDR, B_ADDR, Pair, closeOnEof, connectFrom, serverHoldsTimeWait } from './testkit.js';
import { TimewaitSock } from './timewait.js';
import type { TcpSocket } from './socket.js';

/** The server (b) closes first, so b holds the TIME_WAIT; returns it. */
function serverTimeWait(p: Pair): TimewaitSock {
  const [c, s] = p.established();
  closeOnEof(c);
  s.close();
  p.run(100 * MS);
  const tw = p.b.lookup(A_ADDR, c.lport, 80);
  assert.ok(tw instanceof TimewaitSock);
  return tw;
}

function synFromA(sport: number, tsVal: number | null): Segment {
  const s = new Segment(A_ADDR, sport, B_ADDR, 80, 1000, 0, SYN, 65535, 0);
  if (tsVal !== null) {
    s.hasTs = true;
    s.tsVal = tsVal >>> 0;
  }
  return s;
}

describe('linux-4.4: tcp_tw_recycle (tcp_minisocks.c tcp_time_wait, tcp_metrics.c tcp_peer_is_proven)', () => {
  it('a TIME_WAIT whose peer sent timestamps lasts 3.5 * RTO instead of 60 s, and counts as TWKilled when it goes', () => {
    const p = new Pair({ profile: 'linux-4.4', b: { tcp_tw_recycle: 1 } });
    const tw = serverTimeWait(p);
    const left = tw.expires - p.q.now;
    assert.ok(left < 1 * SEC, `expires in ${left} us`);
    p.run(1 * SEC);
    assert.equal(p.b.states.TIME_WAIT, 0);
    assert.equal(p.b.mib.TcpExtTWKilled, 1);
    assert.equal(p.b.mib.TcpExtTW, 0);
  });

  it('a SYN from that peer address with an older timestamp within 60 s is dropped silently (TcpExtPAWSPassive)', () => {
    const p = new Pair({ profile: 'linux-4.4', b: { tcp_tw_recycle: 1 } });
    const tw = serverTimeWait(p);
    const from = p.log.length;
    p.inject(synFromA(45000, tw.tsRecent - 100));
    p.run(10 * MS);
    assert.deepEqual(p.texts(from), ['a>b S'], 'no SYN-ACK');
    assert.equal(p.b.mib.TcpExtPAWSPassive, 1);
    p.inject(synFromA(45001, null));
    p.run(10 * MS);
    assert.equal(p.b.mib.TcpExtPAWSPassive, 2, 'a SYN without timestamps is refused too');
    const before = p.log.length;
    p.inject(synFromA(45002, tw.tsRecent + 100));
    p.run(10 * MS);
    assert.ok(p.texts(before).includes('b>a S.'), 'a newer timestamp is accepted');
  });

  it('after TCP_PAWS_MSL (60 s) the remembered timestamp no longer counts', () => {
    const p = new Pair({ profile: 'linux-4.4', b: { tcp_tw_recycle: 1 } });
    const tw = serverTimeWait(p);
    p.run(61 * SEC);
    p.inject(synFromA(45000, tw.tsRecent - 100));
    p.run(10 * MS);
    assert.equal(p.b.mib.TcpExtPAWSPassive, 0);
  });

  it('recycle off (the default): 60 s TIME_WAIT and no SYN is refused', () => {
    const p = new Pair({ profile: 'linux-4.4' });
    const tw = serverTimeWait(p);
    assert.ok(tw.expires - p.q.now > 59 * SEC);
    p.inject(synFromA(45000, tw.tsRecent - 100));
    p.run(10 * MS);
    assert.equal(p.b.mib.TcpExtPAWSPassive, 0);
  });
});

describe('linux-4.4: timestamps and ports', () => {
  it('no per-connection TSval offsets (they came in 4.10): connections of one host share its clock', () => {
    const p = new Pair({ profile: 'linux-4.4' });
    const l = p.listen();
    const [c1] = p.established(80, l);
    const [c2] = p.established(80, l);
    assert.equal(c1.tsOffset, 0);
    assert.equal(c2.tsOffset, 0);
    const p6 = new Pair();
    const l6 = p6.listen();
    assert.notEqual(p6.established(80, l6)[0].tsOffset, p6.established(80, l6)[0].tsOffset);
  });

  it('the pre-4.6 port search walks the range one port at a time from a host-wide hint (no even/odd split)', () => {
    const p = new Pair({ profile: 'linux-4.4', a: { ip_local_port_range: [40000, 40999] } });
    p.listen();
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) {
      const c: TcpSocket = p.a.socket();
      c.connect(B_ADDR, 80);
      ports.push(c.lport);
    }
    const steps = ports.slice(1).map((x, i) => x - ports[i]!);
    assert.deepEqual(steps, [1, 1, 1, 1, 1]);
  });

  it('tcp_tw_reuse on 4.4 needs more than one whole second since the peer\'s last timestamp', () => {
    const p = new Pair({ profile: 'linux-4.4', a: { ip_local_port_range: [40000, 40000], tcp_tw_reuse: 1 } });
    const l = p.listen();
    const [c, s] = p.established(80, l);
    closeOnEof(s);
    c.close();
    p.run(100 * MS);
    assert.equal(p.a.states.TIME_WAIT, 1);
    assert.equal(p.a.socket().connect(B_ADDR, 80), 'EADDRNOTAVAIL');
    p.run(2 * SEC);
    assert.equal(p.a.socket().connect(B_ADDR, 80), 'EINPROGRESS');
    assert.equal(p.a.mib.TcpExtTWRecycled, 1);
  });

  it('no fast SYN retry after an unacceptable ACK (that came in ~4.20): the SYN waits for its 1 s timer', () => {
    const p = new Pair({ profile: 'linux-4.4' });
    serverHoldsTimeWait(p).listener.close();
    const from = p.log.length;
    connectFrom(p);
    p.run(2 * SEC);
    const syns = p.log.slice(from).filter((x) => x.seg.flags === SYN).map((x) => x.t - p.log[from]!.t);
    assert.equal(syns.length, 2);
    assert.ok(syns[1]! >= 1 * SEC, `retried after ${syns[1]} us`);
  });
});
