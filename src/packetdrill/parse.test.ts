// The script reader: packetdrill's token rules and the subset's grammar, with the errors a
// script outside it gets.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScript, tokenize } from './parse.js';
import type { PacketSpec, SyscallSpec } from './script.js';
import { ScriptError } from './script.js';

function only<T>(text: string): T {
  const s = parseScript(text);
  assert.equal(s.events.length, 1);
  return s.events[0]!.action as T;
}

function refused(text: string, message: RegExp, line?: number): void {
  assert.throws(
    () => parseScript(text),
    (e: unknown) => e instanceof ScriptError && message.test(e.message) && (line === undefined || e.line === line),
  );
}

describe('tokens (lexer.l, longest match)', () => {
  it('a blocking call\'s times: "+", ".01", "...", "0.011"', () => {
    assert.deepEqual(
      tokenize('+.01...0.011').map((t) => [t.kind, t.text]),
      [['char', '+'], ['float', '.01'], ['ellipsis', '...'], ['float', '0.011'], ['eof', '']],
    );
  });

  it('comments go, lines are counted, -D definitions replace words', () => {
    const toks = tokenize('// a\n/* b\nc */ X\n', new Map([['X', '42']]));
    assert.deepEqual([toks[0]!.kind, toks[0]!.value, toks[0]!.line], ['int', 42, 3]);
  });
});

describe('times', () => {
  it('absolute, relative, ranges and *', () => {
    const s = parseScript('0 close(3) = 0\n+.5 close(3) = 0\n1.5~2 > . 1:1(0) ack 1\n+0~+.04 > . 1:1(0) ack 1\n* > . 1:1(0) ack 1\n');
    assert.deepEqual(
      s.events.map((e) => e.time),
      [
        { kind: 'absolute', usecs: 0 },
        { kind: 'relative', usecs: 500000 },
        { kind: 'absolute-range', usecs: 1500000, end: 2000000 },
        { kind: 'relative-range', usecs: 0, end: 40000 },
        { kind: 'any' },
      ],
    );
  });

  it('ranges and * only for outbound packets; a range may not run backwards', () => {
    refused('+0~+.1 close(3) = 0\n', /range can only be used with outbound packets/);
    refused('* < . 1:1(0) ack 1 win 1\n', /<star> can only be used with outbound packets/);
    refused('+.2~+.1 > . 1:1(0) ack 1\n', /backwards/);
  });
});

describe('packets', () => {
  it('flags, seq start:end(len), ack, win and options', () => {
    const p = only<PacketSpec>('0 < S. 0:0(0) ack 1 win 32768 <mss 1000,nop,wscale 6,nop,nop,sackOK>\n');
    assert.deepEqual(p, {
      kind: 'packet',
      direction: 'inbound',
      flags: 'S.',
      seq: 0,
      len: 0,
      ack: 1,
      win: 32768,
      options: [{ kind: 'mss', value: 1000 }, { kind: 'nop' }, { kind: 'wscale', value: 6 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sackOK' }],
    });
  });

  it('outbound: no win means the window is not checked; <...> means the options are not', () => {
    const p = only<PacketSpec>('0 > P. 1:1001(1000) ack 1 <...>\n');
    assert.deepEqual([p.flags, p.len, p.win, p.options], ['P.', 1000, null, null]);
    const ts = only<PacketSpec>('0 > . 1:1(0) ack 1 <nop,nop,TS val 100 ecr 700>\n');
    assert.deepEqual(ts.options, [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'TS', val: 100, ecr: 700 }]);
  });

  it("refuses what packetdrill refuses: inconsistent lengths, unpadded options, inbound <...> or no win", () => {
    refused('0 > . 1:5(3) ack 1\n', /inconsistent TCP sequence numbers and payload size/);
    refused('0 > S 0:0(0) <mss 1460,wscale 7>\n', /not padded correctly.*3 excess bytes/);
    refused('0 < . 1:1(0) ack 1 win 1 <...>\n', /<\.\.\.> for TCP options can only be used with outbound packets/);
    refused('0 < . 1:1(0) ack 1\n', /window must be specified for inbound packets/);
  });

  it('and what the subset leaves out, naming the line', () => {
    refused('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > . 1:1(0) ack 1 <FO abcd>\n', /TCP option "FO" is outside the subset/, 2);
    refused('0 > udp (10)\n', /TCP packets only/);
  });
});

describe('system calls', () => {
  it('arguments, the result and errno with its note; a blocking call\'s end time', () => {
    const c = only<SyscallSpec>('+.01...0.011 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n');
    assert.deepEqual(c, {
      kind: 'syscall',
      name: 'connect',
      args: [{ kind: 'int', value: 3 }, { kind: 'ellipsis' }, { kind: 'ellipsis' }],
      result: { kind: 'int', value: -1 },
      errno: 'EINPROGRESS',
      endUsecs: 11000,
    });
  });

  it('structs: linger, pollfd; ORed flags; lists', () => {
    const l = only<SyscallSpec>('0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n');
    assert.deepEqual(l.args[3], { kind: 'linger', onoff: 1, linger: 0 });
    const p = only<SyscallSpec>('0 poll([{fd=3, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1\n');
    const pfd = (p.args[0] as { kind: 'list'; items: unknown[] }).items[0];
    assert.deepEqual(pfd, {
      kind: 'pollfd',
      fd: { kind: 'int', value: 3 },
      events: { kind: 'or', lhs: { kind: 'word', name: 'POLLIN' }, rhs: { kind: 'word', name: 'POLLOUT' } },
      revents: { kind: 'word', name: 'POLLOUT' },
    });
  });
});

describe('the script around the events', () => {
  it('option lines, the init command and a cleanup command', () => {
    const s = parseScript('--tolerance_usecs=10000\n`sysctl -q net.ipv4.tcp_rfc1337=1`\n0 close(3) = 0\n`echo done`\n');
    assert.deepEqual(s.options, [{ line: 1, name: 'tolerance_usecs', value: '10000' }]);
    assert.deepEqual(s.initCommand, { line: 2, text: 'sysctl -q net.ipv4.tcp_rfc1337=1' });
    assert.deepEqual(s.cleanupCommand, { line: 4, text: 'echo done' });
  });

  it('code: %{ ... }% is kept as text', () => {
    const s = parseScript('0 %{ assert tcpi_state == TCP_CLOSE, tcpi_state }%\n');
    assert.deepEqual(s.events[0]!.action, { kind: 'code', text: 'assert tcpi_state == TCP_CLOSE, tcpi_state' });
  });
});
