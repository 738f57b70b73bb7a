// The runner: scripts that match pass; a wrong expectation fails with packetdrill's report
// (the script line, the expected and the actual packet); times, blocking calls, timestamps,
// commands and code checks behave as packetdrill's do.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runScript } from './runner.js';
import type { RunOptions } from './runner.js';

const FILES: Record<string, string> = {
  '/suite/common/defaults.sh': [
    '#!/bin/bash',
    'ip tcp_metrics flush all > /dev/null 2>&1',
    'sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"',
    'sysctl -q net.ipv4.tcp_timestamps=1',
    'sysctl -q net.ipv4.tcp_congestion_control=cubic',
    'tc qdisc add dev tun0 root pfifo',
  ].join('\n'),
};

function run(text: string, o: Partial<RunOptions> = {}): { ok: boolean; error: string | null; notes: string[] } {
  return runScript(text, {
    path: 'scratch.pkt',
    dir: '/suite/close',
    readFile: (p) => {
      const norm = p.replace(/\/[^/]+\/\.\.\//g, '/');
      const f = FILES[norm];
      if (f === undefined) throw new Error(`no ${p}`);
      return f;
    },
    ...o,
  });
}

/** Client connects (no timestamps, no window scaling from the peer) and closes first. */
const CLIENT = `    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
   +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
   +0 > S 0:0(0) <...>
 +.01 < S. 0:0(0) ack 1 win 65535 <mss 1460>
   +0 > . 1:1(0) ack 1
 +.01 close(3) = 0
   +0 > F. 1:1(0) ack 1
 +.01 < F. 1:1(0) ack 2 win 65535
`;

describe('a script that matches', () => {
  it('passes: the active closer ACKs the FIN and holds TIME_WAIT', () => {
    const r = run(`${CLIENT}   +0 > . 2:2(0) ack 2\n  +.2 < F. 1:1(0) ack 2 win 65535\n   +0 > . 2:2(0) ack 2\n`);
    assert.deepEqual(r, { ok: true, error: null, notes: [] });
  });
});

describe('a deliberately wrong expectation', () => {
  it('fails with the line, the first field that differs, and both packets in script space', () => {
    // TIME_WAIT answers the FIN with an ACK; the scratch script claims an RST.
    const r = run(`${CLIENT}   +0 > R 2:2(0)\n`);
    assert.equal(r.ok, false);
    assert.equal(
      r.error,
      [
        'scratch.pkt:10: error handling packet: live packet field tcp_rst: expected: 1 (0x1) vs actual: 0 (0x0)',
        'script packet:  0.030000 R 2:2(0) ',
        'actual packet:  0.030000 . 2:2(0) ack 2 win 65535 ',
      ].join('\n'),
    );
  });

  it('a wrong acknowledgement number is reported as tcp_ack_seq', () => {
    const r = run(`${CLIENT}   +0 > . 2:2(0) ack 3\n`);
    assert.match(r.error!, /^scratch\.pkt:10: error handling packet: live packet field tcp_ack_seq: expected: 3 \(0x3\) vs actual: 2 \(0x2\)$/m);
  });

  it('a packet that comes at another time is a timing error with the tolerance', () => {
    const r = run(`${CLIENT}  +.1 > . 2:2(0) ack 2\n`);
    assert.match(r.error!, /^scratch\.pkt:10: error handling packet: timing error: expected outbound packet at 0\.130000 sec but happened at 0\.030000 sec; tolerance 0\.012500 sec$/m);
  });

  it('missing options: the length differs first (ipv4_total_length), as in packetdrill', () => {
    const r = run(`${CLIENT}   +0 > . 2:2(0) ack 2 <nop,nop,TS val 1 ecr 2>\n`);
    assert.match(r.error!, /live packet field ipv4_total_length: expected: 52 \(0x34\) vs actual: 40 \(0x28\)/);
  });

  it('a packet that never comes: timed out', () => {
    const r = run(`${CLIENT}   +0 > . 2:2(0) ack 2\n   +0 > . 2:2(0) ack 2\n`);
    assert.match(r.error!, /^scratch\.pkt:11: error handling packet: Timed out waiting for packet$/);
  });

  it('a system call that returns something else: runtime error with errno', () => {
    const r = run(`${CLIENT.replace(' +.01 close(3) = 0', ' +.01 shutdown(3, SHUT_WR) = 0')}   +0 > . 2:2(0) ack 2\n   +0 write(3, ..., 10) = 10\n`);
    assert.equal(r.error, 'scratch.pkt:11: runtime error in write call: Expected result 10 but got -1 with errno 32 (Broken pipe)');
    const closed = run(`${CLIENT}   +0 > . 2:2(0) ack 2\n   +0 write(3, ..., 10) = 10\n`);
    assert.equal(closed.error, 'scratch.pkt:11: runtime error in write call: unable to find fd with script fd 3');
  });

  it('SYN options: a different window scale is a bad option value', () => {
    const r = run(
      `\`sysctl -q net.ipv4.tcp_rmem="4096 131072 15728640"\`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n` +
        `+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n+0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>\n`,
    );
    assert.match(r.error!, /^scratch\.pkt:5: error handling packet: bad value in outbound TCP option \(kind=3\): expected: wscale 7 actual: wscale 8$/m);
    assert.match(r.error!, /^actual packet: {2}0\.000000 S 0:0\(0\) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>$/m);
  });
});

describe('--ip-version 6', () => {
  it('the SYN advertises the IPv6 MSS (1440) and lengths are checked as ipv6_payload_len', () => {
    const syn = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n';
    const ok = run(`${syn}+0 > S 0:0(0) <mss 1440,sackOK,TS val 1 ecr 0,nop,wscale 10>\n`, { ipVersion: 'ipv6' });
    assert.equal(ok.error, null);
    const short = run(`${syn}+0 > S 0:0(0) <mss 1440,nop,wscale 10>\n`, { ipVersion: 'ipv6' });
    assert.match(short.error!, /live packet field ipv6_payload_len: expected: 28 \(0x1c\) vs actual: 40 \(0x28\)/);
  });
});

describe('times (run.c)', () => {
  it('a range accepts anything inside it', () => {
    assert.ok(run(`${CLIENT}+0~+.05 > . 2:2(0) ack 2\n`).ok);
    const r = run(`${CLIENT}+.02~+.05 > . 2:2(0) ack 2\n`);
    assert.match(r.error!, /expected outbound packet in relative time range \+0\.020000~\+0\.050000 sec but happened at \+0\.000000 sec/);
  });

  it('* accepts any time', () => {
    assert.ok(run(`${CLIENT}* > . 2:2(0) ack 2\n`).ok);
  });

  it('time may not go backwards between absolute times; the first event is at 0', () => {
    assert.match(run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n1 close(3) = 0\n0.5 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4\n').error!, /time goes backward/);
    assert.match(run('1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n').error!, /first event should be at time 0/);
  });
});

describe('blocking calls', () => {
  const SERVER = `    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
`;

  it('accept() returns when the handshake completes; its end time is checked', () => {
    const script = (end: string): string =>
      `${SERVER}   +0...${end} accept(3, ..., ...) = 4\n  +.1 < S 0:0(0) win 65535 <mss 1460>\n   +0 > S. 0:0(0) ack 1 <mss 1460>\n  +.1 < . 1:1(0) ack 1 win 65535\n`;
    assert.equal(run(script('0.200')).error, null);
    assert.match(run(script('0.100')).error!, /^scratch\.pkt:5: timing error: expected system call return at 0\.100000 sec but happened at 0\.200000 sec; tolerance 0\.012500 sec$/);
  });

  it('connect() blocks until the SYN-ACK; a refused one reports ECONNREFUSED', () => {
    const ok = run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0...0.05 connect(3, ..., ...) = 0\n+0 > S 0:0(0) <...>\n+.05 < S. 0:0(0) ack 1 win 65535 <mss 1460>\n+0 > . 1:1(0) ack 1\n');
    assert.equal(ok.error, null);
    const refused = run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0...0.05 connect(3, ..., ...) = 0\n+0 > S 0:0(0) <...>\n+.05 < R. 0:0(0) ack 1 win 0\n');
    assert.equal(refused.error, 'scratch.pkt:2: runtime error in connect call: Expected result 0 but got -1 with errno 111 (Connection refused)');
  });

  it('read() blocks until data arrives', () => {
    const r = run(`${SERVER}  +.1 < S 0:0(0) win 65535 <mss 1460>\n   +0 > S. 0:0(0) ack 1 <mss 1460>\n  +.1 < . 1:1(0) ack 1 win 65535\n   +0 accept(3, ..., ...) = 4\n   +0...0.1 read(4, ..., 1000) = 100\n  +.1 < P. 1:101(100) ack 1 win 65535\n   +0 > . 1:1(0) ack 101\n`);
    assert.equal(r.error, null);
  });
});

describe('timestamps', () => {
  it('an inbound TS ecr must name a TS val the script gave an outbound packet', () => {
    const r = run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n+0 > S 0:0(0) <...>\n+.01 < S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,TS val 700 ecr 100>\n');
    assert.equal(r.error, 'scratch.pkt:5: error handling packet: unable to infer live TS ecr for script TS ecr 100;  no matching or preceding outbound TS val');
  });
});

describe('backquoted commands', () => {
  it("the kernel suite's defaults.sh: sysctls applied, those the model does not simulate noted, the rest no-ops", () => {
    const r = run(
      '`../common/defaults.sh`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n+0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>\n',
    );
    assert.deepEqual(r, { ok: true, error: null, notes: ['sysctls for what the model does not simulate were ignored: net.ipv4.tcp_congestion_control'] });
  });

  it('anything but a sysctl setting is refused with the reason', () => {
    assert.match(run('`ip link set dev tun0 mtu 1400`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n').error!, /^scratch\.pkt:1: error executing `ip link set dev tun0 mtu 1400` command: .*only sysctl settings are understood/);
    assert.match(run('`sysctl -q net.ipv4.tcp_rfc1337=x`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n').error!, /tcp_rfc1337.*not a decimal integer/);
    assert.match(run('`sysctl -q net.ipv4.tcp_keepalive_time=5`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n').error!, /tcp_keepalive_time is not modelled/);
  });
});

describe('code checks', () => {
  it('%{ assert tcpi_state == ... }% sees the state at its time; a failed assert names its line', () => {
    const ok = run(`${CLIENT}   +0 > . 2:2(0) ack 2\n`.replace('   +0 close(3) = 0', '   +0 %{ assert tcpi_state == TCP_ESTABLISHED, tcpi_state }%\n   +0 close(3) = 0'));
    assert.equal(ok.error, null);
    const bad = run(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert tcpi_state == TCP_LISTEN, tcpi_state }%\n`);
    assert.equal(bad.error, 'scratch.pkt:2: error in code: AssertionError: 7 (assert tcpi_state == TCP_LISTEN, tcpi_state)');
    assert.match(run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ print(tcpi_rtt) }%\n').error!, /only assert statements/);
  });
});
