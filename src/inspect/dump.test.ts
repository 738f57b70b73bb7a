// One contract suite for every --from format (style.md 10): each captured dump of the same
// namespace (test/fixtures/inspect/capture.sh, a 6.18 kernel) must give the counts `ss`
// itself reported there, per state and family, per destination, and the same CLOSE_WAIT
// owners where the format names them. Then: malformed lines are skipped and counted, never
// fatal; an unknown format is a clear error.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyStateCounts, type StateCounts, type TcpState } from '../tcp/state.js';
import { detectFormat, DumpFormatError, inspectDumpFile, observeDump, parseDump, readDump, type ParsedDump } from './dump.js';
import { inspectObservation } from './inspect.js';
import { ipv6Text, isIpv4, isIpv6 } from './address.js';
import { parseProcTcp } from './proc-tcp.js';
import { parseEndpoint } from './ss.js';
import type { SocketRecord } from './socket.js';

function fixturesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return join(dir, 'test/fixtures/inspect');
}
const FIXTURES = fixturesDir();
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

/** expected.txt: "time-wait v4 30 v6 3" lines (ss state names) and "close-wait-owner-PORT PID". */
function expected(): { v4: StateCounts; v6: StateCounts; owners: Map<number, number> } {
  const ssName: Record<string, TcpState> = {
    established: 'ESTABLISHED',
    'syn-sent': 'SYN_SENT',
    'syn-recv': 'SYN_RECV',
    'fin-wait-1': 'FIN_WAIT_1',
    'fin-wait-2': 'FIN_WAIT_2',
    'time-wait': 'TIME_WAIT',
    'close-wait': 'CLOSE_WAIT',
    'last-ack': 'LAST_ACK',
    listening: 'LISTEN',
    closing: 'CLOSING',
  };
  const v4 = emptyStateCounts();
  const v6 = emptyStateCounts();
  const owners = new Map<number, number>();
  for (const line of fixture('expected.txt').split('\n')) {
    const f = line.split(' ');
    const state = ssName[f[0] ?? ''];
    if (state) {
      v4[state] = Number(f[2]);
      v6[state] = Number(f[4]);
    }
    const owner = /^close-wait-owner-(\d+) (\d+)$/.exec(line);
    if (owner) owners.set(Number(owner[1]), Number(owner[2]));
  }
  return { v4, v6, owners };
}

function counts(sockets: readonly SocketRecord[], family: 4 | 6): StateCounts {
  const c = emptyStateCounts();
  for (const s of sockets) if (s.family === family) c[s.state]++;
  return c;
}

/** Every format, as the user would save it; proc is tcp then tcp6 in one file (cat both). */
const FORMATS: { name: string; format: ParsedDump['format']; text: () => string; owners: boolean }[] = [
  { name: 'ss -tan', format: 'ss', text: () => fixture('ss-tan.txt'), owners: false },
  { name: 'ss -tanp', format: 'ss', text: () => fixture('ss-tanp.txt'), owners: true },
  { name: 'netstat -ant', format: 'netstat', text: () => fixture('netstat-ant.txt'), owners: false },
  { name: 'netstat -antp', format: 'netstat', text: () => fixture('netstat-antp.txt'), owners: true },
  { name: '/proc/net/tcp + tcp6', format: 'proc', text: () => fixture('proc-net-tcp.txt') + fixture('proc-net-tcp6.txt'), owners: false },
];

/** Lines each format's parser must skip (and count) without failing. */
const MALFORMED: Record<ParsedDump['format'], string[]> = {
  ss: ['ESTAB 0 0 not-an-address 198.18.0.2:80', 'WEIRD-STATE 0 0 198.18.0.1:1 198.18.0.2:80', 'TIME-WAIT 0', 'ESTAB 0 0 198.18.0.1:99999 198.18.0.2:80'],
  netstat: ['tcp 0 0 198.18.0.1:x 198.18.0.2:80 ESTABLISHED', 'tcp 0 0 198.18.0.1:1 198.18.0.2:80 WEIRD', 'tcp6 0', 'sctp 0 0 1.2.3.4:1 5.6.7.8:2 ESTABLISHED'],
  proc: [
    '  90: 0100007F:0050 ZZZZ 01 00000000:00000000 00:00000000 00000000 0 0 1 1',
    '  91: 0100007F:0050 0100007F:0050 FF 00000000:00000000 00:00000000 00000000 0 0 1 1',
    '  92: 0100007F:0050',
    '  93: 0100007F:0050 00000000000000000000000001000000:1B5A 01 00000000:00000000 00:00000000 00000000 0 0 1 1',
  ],
};

/**
 * Lines whose addresses no socket can have, as a corrupted or hand-edited dump may hold: each
 * must be skipped as malformed, not become a socket. /proc/net/tcp's hex is an address
 * whatever its digits, so it has none.
 */
const IMPOSSIBLE_ADDRESSES: Record<ParsedDump['format'], string[]> = {
  ss: [
    'ESTAB 0 0 999.1.1.1:80 198.18.0.2:80',
    'ESTAB 0 0 198.18.0.1:80 198.18.0.256:80',
    'ESTAB 0 0 198.18.0.1:80 198.018.0.2:80',
    'ESTAB 0 0 [2001:db8::1::2]:80 [::1]:80',
    'ESTAB 0 0 [1:2:3:4:5:6:7:8:9]:80 [::1]:80',
    'ESTAB 0 0 [::1]:80 [12345::1]:80',
    'ESTAB 0 0 [::ffff:1.2.3]:80 [::1]:80',
    'ESTAB 0 0 [:::]:80 [::1]:80',
  ],
  netstat: [
    'tcp 0 0 999.1.1.1:80 198.18.0.2:80 ESTABLISHED',
    'tcp 0 0 198.18.0.1:80 1.2.3.4.5:80 ESTABLISHED',
    'tcp6 0 0 1:2:3:4:5:6:7:8:9:80 ::1:80 ESTABLISHED',
    'tcp6 0 0 ::1:80 fe80:::1:80 ESTABLISHED',
  ],
  proc: [],
};

/** An IPv4 and an IPv6 address in one line; for netstat, also IPv6 on a tcp line (a tcp6 line may have IPv4: v4-mapped). */
const MIXED_FAMILIES: Record<ParsedDump['format'], string[]> = {
  ss: ['ESTAB 0 0 198.18.0.1:80 [::1]:80', 'ESTAB 0 0 [::1]:80 198.18.0.2:80'],
  netstat: ['tcp 0 0 198.18.0.1:80 ::1:80 ESTABLISHED', 'tcp 0 0 ::1:80 ::1:81 ESTABLISHED', 'tcp6 0 0 198.18.0.1:80 ::1:80 ESTABLISHED'],
  proc: [],
};

/** A terminal control sequence (clear screen, set title, bell) and a C1 CSI, in a line each format must skip. */
const CONTROL_BYTES: Record<ParsedDump['format'], string> = {
  ss: 'ESTAB\x1b[2J\x1b]0;owned\x07 0 0 198.18.0.1:1 198.18.0.2:80 \u009b31m',
  netstat: 'tcp 0 0 198.18.0.1:1\x1b[2J 198.18.0.2:80 ESTABLISHED\x07',
  proc: '  94: 0100007F:0050\x1b[2J 0100007F:0050 01 00000000:00000000 00:00000000 00000000 0 0 1 1 \u009b31m',
};
/** What must not reach a terminal raw: C0 controls, DEL, C1 controls. */
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const RAW_CONTROL = /[\x00-\x1f\x7f-\x9f]/;

function insertAfter(text: string, lineIndex: number, extra: string[]): string {
  const lines = text.split('\n');
  lines.splice(lineIndex, 0, ...extra);
  return lines.join('\n');
}

describe('--from formats: one contract, captured on a real 6.18 namespace', () => {
  const want = expected();
  for (const f of FORMATS) {
    describe(f.name, () => {
      it('is recognised', () => {
        assert.equal(detectFormat(f.text()), f.format);
      });

      it('sockets by state and family equal what ss counted', () => {
        const d = parseDump(f.text());
        assert.equal(d.skipped, 0, JSON.stringify(d.examples));
        assert.deepEqual(counts(d.sockets.records(), 4), want.v4);
        assert.deepEqual(counts(d.sockets.records(), 6), want.v6);
      });

      it('TIME_WAIT per destination: 20 to .2:80, 10 to .3:80, 3 to [::1]:7002', () => {
        const per = new Map<string, number>();
        for (const s of parseDump(f.text()).sockets.records()) {
          if (s.state !== 'TIME_WAIT') continue;
          const key = `${s.remoteAddress}:${s.remotePort}`;
          per.set(key, (per.get(key) ?? 0) + 1);
        }
        assert.deepEqual(Object.fromEntries(per), { '198.18.0.2:80': 20, '198.18.0.3:80': 10, '::1:7002': 3 });
      });

      it(f.owners ? 'names the CLOSE_WAIT owners ss -p saw' : 'names no owners', () => {
        const d = parseDump(f.text());
        assert.equal(d.hasOwners, f.owners);
        for (const s of d.sockets.records().filter((x) => x.state === 'CLOSE_WAIT')) {
          if (f.owners) assert.deepEqual(s.owners?.map((o) => o.pid), [want.owners.get(s.localPort)], `port ${s.localPort}`);
          else assert.equal(s.owners, undefined);
        }
      });

      it('malformed lines are skipped and counted; the sockets stay the same', () => {
        const bad = MALFORMED[f.format];
        const d = parseDump(insertAfter(f.text(), 3, bad));
        assert.equal(d.skipped, bad.length, JSON.stringify(d.examples));
        assert.equal(d.examples.length, bad.length);
        assert.ok(d.examples.every((e) => e.line >= 4 && e.line < 4 + bad.length && e.reason !== ''));
        assert.deepEqual(counts(d.sockets.records(), 4), want.v4);
        assert.deepEqual(counts(d.sockets.records(), 6), want.v6);
      });

      if (IMPOSSIBLE_ADDRESSES[f.format].length > 0) {
        it('an address no host can have (999.1.1.1, 1:2:3:4:5:6:7:8:9) makes a malformed line, not a socket', () => {
          const bad = IMPOSSIBLE_ADDRESSES[f.format];
          const d = parseDump(insertAfter(f.text(), 3, bad));
          assert.equal(d.skipped, bad.length, JSON.stringify(d.examples));
          assert.ok(d.examples.every((e) => /^bad (local|peer|foreign) address/.test(e.reason)), JSON.stringify(d.examples));
          assert.deepEqual(counts(d.sockets.records(), 4), want.v4);
          assert.deepEqual(counts(d.sockets.records(), 6), want.v6);
        });
      }

      if (MIXED_FAMILIES[f.format].length > 0) {
        it('a line whose addresses are of two families (no socket is) is malformed', () => {
          const bad = MIXED_FAMILIES[f.format];
          const d = parseDump(insertAfter(f.text(), 3, bad));
          assert.equal(d.skipped, bad.length, JSON.stringify(d.examples));
          assert.deepEqual(counts(d.sockets.records(), 4), want.v4);
          assert.deepEqual(counts(d.sockets.records(), 6), want.v6);
        });
      }

      it('control bytes in a skipped line are shown escaped (\\x1b), never raw', () => {
        const d = parseDump(insertAfter(f.text(), 3, [CONTROL_BYTES[f.format]]));
        assert.equal(d.skipped, 1, JSON.stringify(d.examples));
        const [ex] = d.examples;
        assert.ok(ex && !RAW_CONTROL.test(ex.text) && !RAW_CONTROL.test(ex.reason), JSON.stringify(ex));
        assert.match(ex.text, /\\x1b\[2J/);
      });

      it('survives any line cut short or garbled (seeded fuzz)', () => {
        let seed = 12345;
        const rand = (n: number): number => {
          seed = (seed * 1103515245 + 12345) >>> 0;
          return seed % n;
        };
        const lines = f.text().split('\n');
        for (let i = 0; i < 300; i++) {
          const mutated = lines.map((l) => {
            const r = rand(4);
            if (r === 0 || l.length === 0) return l;
            const at = rand(l.length);
            return r === 1 ? l.slice(0, at) : r === 2 ? l.slice(0, at) + String.fromCharCode(rand(128)) + l.slice(at + 1) : l + ' \u00ff\u0000';
          });
          const text = mutated.join('\n');
          try {
            const d = parseDump(text);
            assert.ok(d.sockets.length + d.skipped > 0);
          } catch (e) {
            assert.ok(e instanceof DumpFormatError, String(e));
          }
        }
      });
    });
  }
});

describe('--from: what is not a dump', () => {
  it('unknown text: a DumpFormatError naming the formats and the first line', () => {
    assert.throws(() => parseDump('hello world\nthis is not a socket list\n', 'x.txt'), (e: unknown) => {
      assert.ok(e instanceof DumpFormatError);
      assert.match(e.message, /x\.txt is not a saved `ss -tan\[pe\]`.*first line is "hello world"/);
      return true;
    });
  });

  it('unknown text with control bytes: the first line in the error is escaped', () => {
    assert.throws(() => parseDump('\x1b[2J\x1b]0;owned\x07hello\u202e\u009b\r\n', 'x.txt'), (e: unknown) => {
      assert.ok(e instanceof DumpFormatError);
      assert.ok(!RAW_CONTROL.test(e.message), JSON.stringify(e.message));
      assert.ok(e.message.includes('first line is "\\x1b[2J\\x1b]0;owned\\x07hello\\u202e\\x9b"'), JSON.stringify(e.message));
      return true;
    });
  });

  it('process names from ss -p and netstat -p are escaped', () => {
    const ss = parseDump('State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\nCLOSE-WAIT 1 0 198.18.0.1:7000 198.18.0.2:41898 users:(("evil\x1b[2J",pid=42,fd=5))\n');
    assert.deepEqual(ss.sockets.record(0).owners, [{ pid: 42, command: 'evil\\x1b[2J' }]);
    const netstat = parseDump('tcp 1 0 198.18.0.1:7000 198.18.0.2:41898 CLOSE_WAIT 42/evil\x1b[2J\n');
    assert.deepEqual(netstat.sockets.record(0).owners, [{ pid: 42, command: 'evil\\x1b[2J' }]);
  });

  it('an empty file', () => {
    assert.throws(() => parseDump('', 'empty.txt'), /empty\.txt .* it is empty/);
  });

  it('ss saved with a state filter has no State column: refused with the fix', () => {
    const text = 'Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n0 0 198.18.0.1:48690 198.18.0.2:80\n';
    assert.throws(() => parseDump(text, 'tw.txt'), /no State column .* save `ss -tan` without one/);
  });

  it('a recognised format whose every line is broken is refused', () => {
    assert.throws(() => parseDump('ESTAB 0 0 nonsense nonsense\nTIME-WAIT 0 0 x y\n', 'b.txt'), /none of its 2 socket lines/);
  });

  it('ss -an with a Netid column keeps only tcp lines', () => {
    const text = fixture('ss-tan.txt')
      .split('\n')
      .map((l, i) => (l.trim() === '' ? l : i === 0 ? `Netid ${l}` : `tcp   ${l}`))
      .join('\n');
    const udp = 'udp   UNCONN 0 0 0.0.0.0:53 0.0.0.0:*';
    const d = parseDump(insertAfter(text, 2, [udp]));
    assert.equal(d.format, 'ss');
    assert.equal(d.skipped, 0);
    assert.equal(d.sockets.length, parseDump(fixture('ss-tan.txt')).sockets.length);
  });
});

/** Sockets of a parsed dump as "STATE family" -> count, for the captures of capture-edge.sh. */
function tally(d: ParsedDump): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of d.sockets.records()) out[`${s.state} v${s.family}`] = (out[`${s.state} v${s.family}`] ?? 0) + 1;
  return out;
}

/** What capture-edge.sh made in its namespace: the same sockets in each of its dumps. */
const EDGE_SOCKETS = { 'LISTEN v4': 1, 'LISTEN v6': 1, 'TIME_WAIT v6': 7, 'ESTABLISHED v6': 3, 'CLOSE_WAIT v6': 2 };

describe('--from FILE is read in pieces, so that no size is too big', () => {
  /** Each fixture with malformed lines in it (line numbers count) and without a last newline. */
  const files = FORMATS.map((f) => ({ name: f.name, text: insertAfter(f.text(), 3, MALFORMED[f.format]).replace(/\n+$/, '') }));

  it('any piece size gives the sockets, skipped lines (their numbers too) and notes of the whole text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twlab-dump-'));
    try {
      for (const f of files) {
        const path = join(dir, 'dump.txt');
        writeFileSync(path, f.text);
        const whole = parseDump(f.text, path);
        for (const pieceBytes of [1, 7, 64, 4096, 1 << 20]) {
          const d = readDump(path, { pieceBytes });
          assert.deepEqual(d.sockets.records(), whole.sockets.records(), `${f.name}, pieces of ${pieceBytes}`);
          assert.deepEqual([d.skipped, d.examples, d.notes, d.format], [whole.skipped, whole.examples, whole.notes, whole.format], `${f.name}, pieces of ${pieceBytes}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a line of more than 16 MiB: a DumpFormatError naming the file, not a socket list', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twlab-dump-'));
    try {
      const path = join(dir, 'long.txt');
      writeFileSync(path, fixture('ss-tan.txt') + 'ESTAB ' + 'x'.repeat(17 * 1024 * 1024) + '\n');
      assert.throws(() => readDump(path, { pieceBytes: 1 << 20 }), (e: unknown) => {
        assert.ok(e instanceof DumpFormatError);
        assert.match(e.message, /long\.txt has a line longer than 16 MiB: it is not a socket list/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ss: device-bound sockets (captured with iproute2 6.1: test/fixtures/inspect/capture-edge.sh)', () => {
  it('"[fe80::1]%dev:port" (the interface after the bracket) and "127.0.0.1%lo:port" are read', () => {
    const d = parseDump(fixture('ss-tan-scoped.txt'));
    assert.equal(d.skipped, 0, JSON.stringify(d.examples));
    assert.deepEqual(tally(d), EDGE_SOCKETS);
    const listeners = d.sockets.records().filter((s) => s.state === 'LISTEN').map((s) => `${s.localAddress} ${s.localPort}`);
    assert.deepEqual(listeners, ['127.0.0.1 2223', 'fe80::b488:78ff:fe32:8360 2222']);
  });

  it('the interface inside the brackets, after it, and on IPv4 all give the bare address', () => {
    for (const text of ['[fe80::b488:78ff:fe32:8360]%r6a:2222', '[fe80::b488:78ff:fe32:8360%r6a]:2222', 'fe80::b488:78ff:fe32:8360%r6a:2222']) {
      assert.deepEqual(parseEndpoint(text), { address: 'fe80::b488:78ff:fe32:8360', port: 2222, family: 6 }, text);
    }
    assert.deepEqual(parseEndpoint('127.0.0.1%lo:2223'), { address: '127.0.0.1', port: 2223, family: 4 });
    assert.deepEqual(parseEndpoint('*%eth0:80'), { address: '*', port: 80, family: undefined });
  });

  it('an interface with no name, or text after the bracket that is not one, is a bad address', () => {
    for (const text of ['[fe80::1]%:22', '[fe80::1]x:22', '[fe80::1:22', 'fe80::1]:22', '127.0.0.1%:22']) assert.equal(parseEndpoint(text), undefined, text);
  });
});

describe('ss -B (iproute2 6.8 on): bound, not listening sockets, shown as UNCONN', () => {
  it('are in no state, as netlink reads them on the live host, and hold their port', () => {
    const text = fixture('ss-tan.txt') + 'UNCONN 0 0 198.18.0.1:45000 0.0.0.0:*\n';
    const d = parseDump(text);
    assert.deepEqual(tally(d), tally(parseDump(fixture('ss-tan.txt'))));
    assert.deepEqual(d.sockets.boundInactive.map((b) => [b.family, d.sockets.addresses[b.localAddress], b.localPort]), [[4, '198.18.0.1', 45000]]);
    const file = join(mkdtempSync(join(tmpdir(), 'twlab-unconn-')), 'ss-tanB.txt');
    try {
      writeFileSync(file, text);
      const ins = inspectDumpFile(file, 0).analysis.inspection;
      assert.equal(ins.sockets.bound_inactive, 1);
      assert.equal(ins.sockets.by_state.CLOSE, 0);
      writeFileSync(file, fixture('ss-tan.txt'));
      assert.equal(inspectDumpFile(file, 0).analysis.inspection.sockets.bound_inactive, null, 'a dump without UNCONN may not have asked for them');
    } finally {
      rmSync(dirname(file), { recursive: true, force: true });
    }
  });
});

describe('ss saved without -a (captured: capture-edge.sh)', () => {
  it('ss -tn: read, with a note that TIME_WAIT and the listeners are missing and to save with ss -tanpe', () => {
    const d = parseDump(fixture('ss-tn.txt'));
    assert.equal(d.skipped, 0, JSON.stringify(d.examples));
    assert.deepEqual(tally(d), { 'ESTABLISHED v6': 3, 'CLOSE_WAIT v6': 2 });
    assert.equal(d.notes.length, 1, JSON.stringify(d.notes));
    assert.match(d.notes[0] ?? '', /saved without -a.*TIME_WAIT and listening sockets are missing.*ss -tanpe/);
  });

  it('ss -tan of the same sockets, and the contract dumps: no such note', () => {
    for (const name of ['ss-tan-scoped.txt', 'ss-tan.txt', 'ss-tanp.txt']) assert.deepEqual(parseDump(fixture(name)).notes, [], name);
  });

  it('UNCONN lines (bound, not listening: ss -a or -B from iproute2 6.8) show it was saved with -a', () => {
    const text = 'State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 198.18.0.1:40000 198.18.0.2:80\nUNCONN 0 0 198.18.0.1:45000 0.0.0.0:*\n';
    assert.deepEqual(parseDump(text).notes, []);
  });

  it('a dump with one socket in a state ss -tn leaves out (here SYN-RECV) is taken as saved with -a', () => {
    const text = fixture('ss-tn.txt') + 'SYN-RECV 0 0 [2001:db8::1]:80 [2001:db8::2]:40000\n';
    assert.deepEqual(parseDump(text).notes, []);
  });
});

describe('ss -tanpe, netstat -antpe: the socket inode (captured: capture-inode.sh)', () => {
  // One python3 listens on :7004 and never accepts (3 queued), and on :7006 accepts 2 of 4
  // and holds them (2 queued); every client end is an orphaned FIN_WAIT_2.
  const inspectText = (text: string, name: string) => inspectObservation(observeDump(text, name, 0)).analysis.inspection;
  const pid = Number(/pid=(\d+)/.exec(fixture('ss-tanpe.txt'))?.[1]);
  const queued = { held: 2, not_accepted: 5, not_accepted_no_owner: 0, not_accepted_ports: [7004, 7006], not_visible: 0, not_looked_up: 0 };

  for (const name of ['ss-tanpe.txt', 'netstat-antpe.txt']) {
    it(`${name}: inode 0 CLOSE_WAIT never accepted, on the listener's process; inode 0 FIN_WAIT_2 orphaned`, () => {
      const ins = inspectText(fixture(name), name);
      assert.equal(ins.owners.inodes, true);
      assert.deepEqual(ins.owners.close_wait, queued);
      assert.deepEqual(ins.owners.fin_wait_2, { held: 0, orphaned: 7, not_visible: 0, not_looked_up: 0 });
      assert.deepEqual(ins.processes, [
        { pid, command: 'python3', close_wait: 2, close_wait_not_accepted: 5, fin_wait_2: 0, close_wait_ports: [7006], not_accepted_ports: [7004, 7006] },
      ]);
      assert.ok(ins.findings.every((f) => !/without a process|names them all/.test(f.summary)), JSON.stringify(ins.findings));
      assert.match(ins.advice.find((a) => a.id === 'fix-close-wait')?.reason ?? '', /^2 CLOSE_WAIT now held open by the application \(and 5 never accepted, below\)/);
    });
  }

  it("listeners' accept queues: ss's LISTEN Recv-Q / Send-Q are the queue and the backlog; netstat's Send-Q is not the backlog", () => {
    const queues = (name: string) => inspectText(fixture(name), name).listeners.map((l) => [l.listener, l.queued, l.backlog, l.owners?.[0]?.pid]);
    assert.deepEqual(queues('ss-tanpe.txt'), [
      ['198.18.0.1:7004', 3, 16, pid],
      ['198.18.0.1:7006', 2, 16, pid],
    ]);
    assert.deepEqual(queues('netstat-antpe.txt'), [
      ['198.18.0.1:7004', 3, null, pid],
      ['198.18.0.1:7006', 2, null, pid],
    ]);
  });

  it('netstat -ante (inodes, no processes): never accepted, and the finding says the dump names no processes', () => {
    const ins = inspectText(fixture('netstat-ante.txt'), 'netstat-ante.txt');
    assert.deepEqual(ins.owners.close_wait, { ...queued, held: 0, not_accepted_no_owner: 5, not_looked_up: 2 });
    const f = ins.findings.find((x) => x.id === 'close-wait-not-accepted');
    assert.match(f?.summary ?? '', /^5 CLOSE_WAIT socket\(s\) never accepted, in the accept queue of a listener \(port 7004, 7006\): the dump names no processes/);
    assert.doesNotMatch(f?.summary ?? '', /could not be found/);
  });

  it('inodes are taken only when every line has one', () => {
    const text = fixture('ss-tanpe.txt').replace(/ ino:\d+/, '');
    const ins = inspectText(text, 'ss-mixed.txt');
    assert.equal(ins.owners.inodes, false);
    assert.equal(ins.owners.close_wait.not_accepted, 0);
  });

  it('ss -tanp (no -e): a CLOSE_WAIT without a process may be queued; the finding says so and asks for ss -tanpe', () => {
    const ins = inspectText(fixture('ss-tanpe.txt').replace(/ ino:\d+/g, ''), 'ss-tanp.txt');
    assert.deepEqual(ins.owners.close_wait, { ...queued, not_accepted: 0, not_accepted_ports: [], not_visible: 5 });
    const f = ins.findings.find((x) => x.id === 'close-wait' && !x.summary.startsWith('pid'));
    assert.doesNotMatch(f?.summary ?? '', /names them all/);
    assert.match(f?.summary ?? '', /^5 CLOSE_WAIT socket\(s\) without a process in the dump: .*-e .*accept queue.*ss -tanpe/);
    assert.match(ins.advice.find((a) => a.id === 'fix-close-wait')?.reason ?? '', /^7 CLOSE_WAIT now held open by the application \(the 5 the dump names no process for may instead wait in an accept queue/);
  });
});

describe('netstat: IPv6 addresses cut to fit the column (captured with net-tools 2.10: capture-edge.sh)', () => {
  it('without -W: the 13 tcp6 lines whose address fills the 23-character column are counted in a note that says to save with -W', () => {
    const d = parseDump(fixture('netstat-ant-cut.txt'));
    // "2001:db8:aaaa:bbb:33238": the cut address is no address at all; "fe80::b488:78ff:f" is one, but not the socket's.
    assert.equal(d.skipped, 6, JSON.stringify(d.examples));
    assert.ok(d.examples.every((e) => /cut .*netstat -W/.test(e.reason)), JSON.stringify(d.examples));
    const cut = d.notes.filter((n) => /netstat/.test(n));
    assert.equal(cut.length, 1, JSON.stringify(d.notes));
    assert.match(cut[0] ?? '', /^13 tcp6 lines have an address that fills netstat's 23-character column.*\(6 of them could not be read.* -W \(--wide\)/);
  });

  it('with -W: every address whole, and no note', () => {
    const d = parseDump(fixture('netstat-antW.txt'));
    assert.equal(d.skipped, 0, JSON.stringify(d.examples));
    assert.deepEqual(tally(d), EDGE_SOCKETS);
    assert.ok(d.sockets.records().some((s) => s.remoteAddress === '2001:db8:aaaa:bbbb:cccc:dddd:eeee:2'));
    assert.deepEqual(d.notes, []);
  });

  it('short IPv6 addresses (the contract dump, without -W): no note', () => {
    assert.deepEqual(parseDump(fixture('netstat-ant.txt')).notes.filter((n) => /netstat/.test(n)), []);
  });
});

describe('/proc/net/tcp decoding', () => {
  it('IPv4 is a host-order word: 0100007F is 127.0.0.1 on little-endian, 1.0.0.127 on big-endian', () => {
    const line = '   0: 0100007F:0050 020012C6:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 20 4 0 10 -1\n';
    const [le] = parseProcTcp(line).sockets.records();
    assert.deepEqual(le, { family: 4, state: 'ESTABLISHED', localAddress: '127.0.0.1', localPort: 80, remoteAddress: '198.18.0.2', remotePort: 8080, inode: 4242 });
    assert.equal(parseProcTcp(line, { littleEndian: false }).sockets.record(0).localAddress, '1.0.0.127');
  });

  it('IPv6: ::1, v4-mapped and a full address as ss prints them', () => {
    const tcp6 = fixture('proc-net-tcp6.txt');
    const addrs = new Set(parseProcTcp(tcp6).sockets.records().map((s) => s.localAddress));
    assert.deepEqual([...addrs].sort(), ['::', '::1', '::ffff:198.18.0.1']);
  });

  it('RFC 5952 text like glibc inet_ntop', () => {
    assert.equal(ipv6Text([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), '2001:db8::1:0:0:1');
    assert.equal(ipv6Text([0x2001, 0xdb8, 0, 1, 0, 0, 0, 1]), '2001:db8:0:1::1');
    assert.equal(ipv6Text([0xfe80, 0, 0, 0, 0, 0, 0, 0]), 'fe80::');
    assert.equal(ipv6Text([0, 0, 0, 0, 0, 0, 0, 0]), '::');
    assert.equal(ipv6Text([0, 0, 0, 0, 0, 0, 0xc612, 0x0001]), '::198.18.0.1');
    assert.equal(ipv6Text([0, 0, 0, 0, 0, 0xffff, 0xc612, 0x0001]), '::ffff:198.18.0.1');
    assert.equal(ipv6Text([1, 0, 1, 0, 1, 0, 1, 0]), '1:0:1:0:1:0:1:0');
  });

  it('every address inet_ntop writes is an address to isIpv6 and isIpv4; near misses are not', () => {
    let seed = 99;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      // Mostly zero words, so that "::" and the dotted forms come up often.
      const words = Array.from({ length: 8 }, () => (rand(3) === 0 ? rand(0x10000) : 0));
      if (rand(4) === 0) words.splice(0, 6, 0, 0, 0, 0, 0, 0xffff);
      const text = ipv6Text(words);
      assert.ok(isIpv6(text), text);
      assert.ok(isIpv6(text.toUpperCase()), text);
    }
    for (const text of ['0.0.0.0', '255.255.255.255', '198.18.0.1']) assert.ok(isIpv4(text), text);
    for (const text of ['256.1.1.1', '999.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1..2.3', '']) assert.ok(!isIpv4(text), text);
    for (const text of ['', ':', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', ':1::', '1::2:3:4:5:6:7:8', '::1.2.3', '1.2.3.4::', '::ffff:256.0.0.1']) {
      assert.ok(!isIpv6(text), text);
    }
  });

  it("a listener's rx_queue is its accept queue (no backlog in /proc); other rows keep none", () => {
    const text =
      '   0: 00000000:1B58 00000000:0000 0A 00000000:00000081 00:00000000 00000000     0        0 101 1 0000000000000000 100 0 0 10 0\n' +
      '   1: 010012C6:1B58 020012C6:A3AA 08 00000000:00000007 00:00000000 00000000     0        0 102 1 0000000000000000 20 4 0 10 -1\n';
    const d = parseProcTcp(text);
    assert.equal(d.skipped, 0);
    assert.deepEqual([...d.sockets.listenQueues.entries()], [[0, { queued: 129, backlog: null }]]);
    assert.deepEqual(d.sockets.records().map((s) => s.inode), [101, 102]);
  });

  it('the timewait and request socket lines (fewer fields) are read', () => {
    const d = parseProcTcp(fixture('proc-net-tcp.txt'));
    const tw = d.sockets.records().filter((s) => s.state === 'TIME_WAIT');
    assert.equal(tw.length, 30);
    assert.ok(tw.every((s) => s.inode === 0));
    assert.ok(d.sockets.records().filter((s) => s.state === 'CLOSE_WAIT').every((s) => s.inode > 0));
  });
});
