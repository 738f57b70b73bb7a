// The integrity oracle: what only a simulator can know, because every segment carries the
// incarnation (socket) that sent it.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MS, SEC } from '../engine/time.js';
import { ACK, Segment } from '../net/segment.js';
import { A_ADDR, B_ADDR, Pair, closeOnEof, connectFrom, dropLastAck } from './testkit.js';
import type { TcpSocket } from './socket.js';

describe('integrity oracle', () => {
  it('counts bytes a connection accepts from an earlier incarnation of its 4-tuple (the reason for TIME_WAIT)', () => {
    const p = new Pair({ aTimewaitLen: 0 });
    const l = p.listen();
    const c1 = connectFrom(p);
    p.run(10 * MS);
    closeOnEof(l.accept() as TcpSocket);
    const old = c1.incarnation;
    c1.close();
    p.run(10 * MS);
    assert.equal(p.a.states.TIME_WAIT, 0, 'TIME_WAIT skipped (what_if)');
    connectFrom(p);
    p.run(10 * MS);
    const s2 = l.accept() as TcpSocket;
    // A delayed duplicate of the old connection, in the new one's window.
    const stale = new Segment(A_ADDR, 40000, B_ADDR, 80, s2.rcvNxt, s2.sndNxt, ACK, 65535, 100);
    stale.incarnation = old;
    p.inject(stale);
    p.run(10 * MS);
    assert.equal(s2.readable, 100, 'the new connection took the old bytes as its own');
    assert.equal(p.b.integrity.staleSegmentsAccepted, 1);
    assert.equal(p.b.integrity.staleBytesAccepted, 100);
  });

  it('bytes of the current incarnation are not counted', () => {
    const p = new Pair();
    const [c, s] = p.established();
    c.send(500);
    p.run(10 * MS);
    assert.equal(s.readable, 500);
    assert.equal(p.b.integrity.staleSegmentsAccepted, 0);
  });

  it('counts an RST answering a peer that still holds a connection that ended here (last ACK lost, no TIME_WAIT)', () => {
    const p = new Pair({ aTimewaitLen: 0 });
    const [c, s] = p.established();
    closeOnEof(s);
    dropLastAck(p);
    c.close();
    p.run(2 * SEC);
    // The server's retransmitted FIN found no socket on the client: RST, and the server's
    // LAST_ACK ends by reset rather than by the ACK TIME_WAIT would have sent.
    assert.ok(p.texts().includes('a>b R'));
    assert.equal(p.a.integrity.resetsFromStaleState, 1);
    assert.equal(s.state, 'CLOSE');
  });

  it('with TIME_WAIT the same loss ends cleanly: no stale-state reset', () => {
    const p = new Pair();
    const [c, s] = p.established();
    closeOnEof(s);
    dropLastAck(p);
    c.close();
    p.run(2 * SEC);
    assert.equal(p.a.integrity.resetsFromStaleState, 0);
    assert.ok(!p.texts().some((t) => t.includes('R')));
  });
});
