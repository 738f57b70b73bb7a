// Socket calls the packetdrill scripts use beyond the basics: TCP_LINGER2, SO_ERROR and read()
// after a reset, connect(AF_UNSPEC). Each rule is named with the kernel function it follows.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MS, SEC } from '../engine/time.js';
import { ACK, RST } from '../net/segment.js';
import { seqAdd } from './seq.js';
import { B_ADDR, Pair, segBtoA } from './testkit.js';
import { TimewaitSock } from './timewait.js';

describe('TCP_LINGER2 (tcp.c do_tcp_setsockopt, do_tcp_getsockopt; tcp.h tcp_fin_time)', () => {
  it('reads back in seconds: tcp_fin_timeout when unset, capped at TCP_FIN_TIMEOUT_MAX (120 s), -1 when negative', () => {
    const p = new Pair({ a: { tcp_fin_timeout: 30 } });
    const s = p.a.socket();
    assert.equal(s.getLinger2(), 30);
    s.setLinger2(5);
    assert.equal(s.getLinger2(), 5);
    s.setLinger2(500);
    assert.equal(s.getLinger2(), 120);
    s.setLinger2(-7);
    assert.equal(s.getLinger2(), -1);
    s.setLinger2(0);
    assert.equal(s.getLinger2(), 30);
  });

  it('sets the orphaned FIN_WAIT_2 lifetime of its socket instead of tcp_fin_timeout', () => {
    const p = new Pair(); // tcp_fin_timeout 60 s
    const [c] = p.established();
    c.setLinger2(2);
    c.close();
    p.run(100 * MS);
    assert.ok(p.a.lookup(B_ADDR, 80, c.lport) instanceof TimewaitSock);
    p.run(2.5 * SEC); // 2 s on the HZ=250 wheel: at most 256 ms late
    assert.equal(p.a.lookup(B_ADDR, 80, c.lport), undefined);
    assert.equal(p.a.mib.TcpExtTWKilled, 1, 'a 2 s wait counts as killed (<= 4 s)');
  });

  it('negative: the ACK of an orphan\'s FIN gets an RST and the socket is gone (tcp_rcv_state_process TCP_FIN_WAIT1)', () => {
    const p = new Pair();
    const [c] = p.established();
    c.setLinger2(-1);
    const from = p.log.length;
    c.close();
    p.run(10 * MS);
    assert.deepEqual(p.texts(from), ['a>b F.', 'b>a .', 'a>b R']);
    assert.equal(p.a.lookup(B_ADDR, 80, c.lport), undefined);
    assert.equal(p.a.mib.TcpExtTCPAbortOnData, 1);
    assert.equal(p.a.states.FIN_WAIT_2, 0);
  });

  it('negative, set in FIN_WAIT_2 after shutdown(SHUT_WR): close() resets at once (__tcp_close, TcpExtTCPAbortOnLinger)', () => {
    const p = new Pair();
    const [c] = p.established();
    c.shutdown('WR');
    p.run(10 * MS);
    assert.equal(c.state, 'FIN_WAIT_2');
    c.setLinger2(-1);
    const from = p.log.length;
    c.close();
    p.run(10 * MS);
    assert.deepEqual(p.texts(from), ['a>b R.']);
    assert.equal(p.a.mib.TcpExtTCPAbortOnLinger, 1);
    assert.equal(p.a.lookup(B_ADDR, 80, c.lport), undefined);
  });
});

describe('errors after a reset (sock.c sock_error, tcp.c tcp_recvmsg_locked, tcp_done)', () => {
  it('SO_ERROR reports the error once; read() gives it once, then 0; write() gives EPIPE', () => {
    const p = new Pair();
    const [c] = p.established();
    p.inject(segBtoA(80, c.lport, c.rcvNxt, 0, RST));
    p.run(5 * MS);
    assert.equal(c.state, 'CLOSE');
    assert.equal(c.takeError(), 'ECONNRESET');
    assert.equal(c.takeError(), null);
    assert.equal(c.recv(100), 0, 'SHUTDOWN_MASK: end of stream');
    assert.equal(c.send(10), 'EPIPE');
  });

  it('read() without SO_ERROR first: ECONNRESET, then 0', () => {
    const p = new Pair();
    const [c] = p.established();
    p.inject(segBtoA(80, c.lport, c.rcvNxt, 0, RST));
    p.run(5 * MS);
    assert.equal(c.recv(100), 'ECONNRESET');
    assert.equal(c.recv(100), 0);
  });
});

describe('connect(AF_UNSPEC) (tcp.c tcp_disconnect)', () => {
  it('an established connection is reset; the socket connects again with ISN = write_seq + max_window + 2', () => {
    const p = new Pair();
    const l = p.listen();
    const c = p.a.socket();
    c.setReuseAddr(true);
    assert.equal(c.bind(40000), null);
    c.connect(B_ADDR, 80);
    p.run(10 * MS);
    assert.equal(c.state, 'ESTABLISHED');
    const writeSeq = c.writeSeq;
    const from = p.log.length;
    c.disconnect();
    assert.equal(c.state, 'CLOSE');
    assert.equal(c.takeError(), 'ECONNRESET');
    p.run(10 * MS);
    assert.deepEqual(p.texts(from), ['a>b R.']);
    // max_window: the largest window the peer offered, 65535 (no scaling in a scenario pair).
    assert.equal(c.connect(B_ADDR, 80), 'EINPROGRESS');
    assert.equal(c.iss, seqAdd(writeSeq, 65535 + 2));
    assert.equal(c.lport, 40000, 'the port bind() fixed stays');
    p.run(10 * MS);
    assert.equal(c.state, 'ESTABLISHED');
    assert.equal(l.acceptQueue.length, 2);
    assert.equal(p.a.mib.TcpAttemptFails, 0);
    assert.ok(p.log.some((l) => l.seg.flags === ACK));
  });
});

describe('sysctl -w while the host runs (TcpHost.setSysctls)', () => {
  it('later decisions read the new value: tcp_rfc1337 set after TIME_WAIT began still protects it', () => {
    const p = new Pair();
    const [c, s] = p.established();
    s.events.readable = (x) => {
      if (x.recv(100) === 0) x.close();
    };
    c.close();
    p.run(10 * MS);
    const tw = p.a.lookup(B_ADDR, 80, c.lport);
    assert.ok(tw instanceof TimewaitSock);
    p.a.setSysctls({ ...p.a.sysctl, tcp_rfc1337: 1 });
    p.inject(segBtoA(80, c.lport, tw.rcvNxt, 0, RST));
    p.run(5 * MS);
    assert.equal(p.a.lookup(B_ADDR, 80, c.lport), tw, 'the RST was ignored');
  });
});
