// SYN options beyond timestamps: SACK-permitted and window scaling (RFC 2018, RFC 7323), as
// Linux offers and negotiates them (tcp_output.c tcp_syn_options, tcp_synack_options,
// tcp_select_initial_window; tcp_input.c tcp_parse_options). Scenarios keep the legacy
// handshake (MSS only); `twlab packetdrill` turns Linux's on.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MS } from '../engine/time.js';
import { ACK, SYN, Segment } from '../net/segment.js';
import { LEGACY_HANDSHAKE, LINUX_HANDSHAKE, linuxWscale } from './profile.js';
import { A_ADDR, B_ADDR, Pair } from './testkit.js';

function linuxPair(): Pair {
  const p = new Pair();
  p.a.handshake = LINUX_HANDSHAKE;
  p.b.handshake = LINUX_HANDSHAKE;
  return p;
}

describe('window scale shift (tcp_output.c tcp_select_initial_window)', () => {
  it('ilog2(max(tcp_rmem[2], rmem_max)) - 15, within 0..14: 32 MiB gives 10 (this host), 15 MiB 8, 6 MiB 7', () => {
    assert.equal(linuxWscale(33554432, 4194304), 10);
    assert.equal(linuxWscale(15728640, 4194304), 8);
    assert.equal(linuxWscale(6291456, 212992), 7);
    assert.equal(linuxWscale(65535, 0), 0);
    assert.equal(linuxWscale(2 ** 40, 0), 14);
    assert.equal(LINUX_HANDSHAKE.wscale, 10);
  });
});

describe('SYN and SYN-ACK options', () => {
  it('the SYN offers MSS, SACK-permitted, timestamps and window scale; the SYN-ACK answers with what was offered', () => {
    const p = linuxPair();
    const [c, s] = p.established();
    const syn = p.log[0]!.seg;
    const synAck = p.log[1]!.seg;
    assert.equal(syn.flags, SYN);
    assert.deepEqual([syn.mss, syn.sackOk, syn.hasTs, syn.wscale], [1460, true, true, 10]);
    assert.equal(synAck.flags, SYN | ACK);
    assert.deepEqual([synAck.mss, synAck.sackOk, synAck.hasTs, synAck.wscale], [1460, true, true, 10]);
    for (const x of [c, s]) assert.deepEqual([x.sackOk, x.sndWscale, x.rcvWscale], [true, 10, 10]);
  });

  it('a peer that offers no window scale or SACK gets neither back, and windows stay unscaled (RFC 7323 2.2)', () => {
    const p = linuxPair();
    p.a.handshake = LEGACY_HANDSHAKE;
    const [c, s] = p.established();
    const synAck = p.log[1]!.seg;
    assert.deepEqual([synAck.sackOk, synAck.wscale], [false, -1]);
    for (const x of [c, s]) assert.deepEqual([x.sackOk, x.sndWscale, x.rcvWscale], [false, 0, 0]);
  });

  it('the legacy handshake (scenarios) offers the MSS only', () => {
    const p = new Pair();
    p.established();
    const syn = p.log[0]!.seg;
    assert.deepEqual([syn.mss, syn.sackOk, syn.wscale], [1460, false, -1]);
  });
});

describe('window scaling (RFC 7323 2.3)', () => {
  it("windows after the SYNs are shifted: we advertise rcv_wnd >> our shift, and read the peer's window << its shift", () => {
    const p = linuxPair();
    const [c] = p.established();
    // The client's final ACK advertises 65535 >> 10, rounded up.
    assert.equal(p.log[2]!.seg.win, 64);
    // A window of 100 from a peer with shift 10 is 102400 bytes (the SYN-ACK's own was unscaled).
    const seg = new Segment(B_ADDR, 80, A_ADDR, c.lport, c.rcvNxt, c.sndNxt, ACK, 100, 0);
    seg.hasTs = true;
    seg.tsVal = c.tsRecent;
    p.inject(seg);
    p.run(5 * MS);
    assert.equal(c.sndWnd, 100 * 1024);
  });
});
