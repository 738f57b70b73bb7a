// twlab inspect, advise and exporter as a user runs them: the binary, its exit codes and output.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Inspection } from '../../src/inspect/analyze.js';
import { MAIN, repoRoot, twlab } from '../cli-helpers.js';
import { parseExposition, sampleValue } from './prom-text.js';

const FIXTURES = join(repoRoot(), 'test/fixtures/inspect');
const DUMPS = ['ss-tan.txt', 'ss-tanp.txt', 'netstat-ant.txt', 'netstat-antp.txt', 'proc-net-tcp.txt'];

function withTemp<T>(name: string, text: string, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'twlab-inspect-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, text);
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('twlab inspect --from', () => {
  it('a saved ss -tanp: the report names the CLOSE_WAIT holders and gives advice', () => {
    const r = twlab('inspect', '--from', join(FIXTURES, 'ss-tanp.txt'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^twlab inspect: .*ss-tanp\.txt \(ss format\)$/m);
    // The holder's pid as capture.sh recorded it.
    const pid = /^close-wait-owner-7000 (\d+)$/m.exec(readFileSync(join(FIXTURES, 'expected.txt'), 'utf8'))?.[1];
    assert.match(r.stdout, new RegExp(`^ {2}${pid} +node +4 +0 +0 +7000$`, 'm')); // CLOSE_WAIT, not accepted, FIN_WAIT_2, ports
    assert.match(r.stdout, /^Advice$/m);
    assert.match(r.stdout, /^Not seen$/m);
  });

  it('every format gives the same sockets by state, and the same destinations, in --json', () => {
    const docs = DUMPS.map((f) => {
      const r = twlab('inspect', '--json', '--from', join(FIXTURES, f));
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
      const doc = JSON.parse(r.stdout) as Inspection;
      assert.equal(doc.twlab_inspect, 1);
      return doc;
    });
    const states = docs.map((d) => d.sockets.by_state);
    // The /proc dump here is tcp only (no tcp6): compare the others with each other, and IPv4 with it.
    for (const s of states.slice(1, 4)) assert.deepEqual(s, states[0]);
    assert.equal(states[4]?.TIME_WAIT, 30);
    // A tcp6 socket talking IPv4 has one name in every format: netstat prints it unmapped.
    const peers = docs.map((d) => d.close_wait.by_peer.map((x) => `${x.address} ${x.count}`).sort());
    assert.deepEqual(peers[0], ['198.18.0.2 4', '::ffff:198.18.0.2 2']);
    for (const [i, d] of peers.slice(1, 4).entries()) assert.deepEqual(d, peers[0], DUMPS[i + 1]);
    const destinations = docs.map((d) => d.destinations.map((x) => `${x.source}->${x.destination}`).sort());
    for (const [i, d] of destinations.slice(1, 4).entries()) assert.deepEqual(d, destinations[0], DUMPS[i + 1]);
  });

  it('netstat -ant without -W: the report and --json say that long IPv6 addresses were cut, and how to save them', () => {
    const file = join(FIXTURES, 'netstat-ant-cut.txt');
    const json = twlab('inspect', '--json', '--from', file);
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as Inspection;
    assert.ok(doc.notes.some((n) => /^13 tcp6 lines have an address that fills netstat's 23-character column/.test(n)), JSON.stringify(doc.notes));
    const text = twlab('inspect', '--from', file);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout.replace(/\n\s+/g, ' '), /13 tcp6 lines have an address .* netstat -W \(--wide\)/);
  });

  it('ss -tn (no -a): read, exit 0, and --json notes that TIME_WAIT and listeners are missing', () => {
    const r = twlab('inspect', '--json', '--from', join(FIXTURES, 'ss-tn.txt'));
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Inspection;
    assert.equal(doc.sockets.total, 5);
    assert.ok(doc.notes.some((n) => /looks saved without -a .* save it with ss -tanp/.test(n)), JSON.stringify(doc.notes));
  });

  it('an unknown format: one line, exit 2', () => {
    withTemp('x.txt', 'hello\nworld\n', (path) => {
      const r = twlab('inspect', '--from', path);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^twlab: .*x\.txt is not a saved `ss -tan\[pe\]`, `netstat -ant\[pe\]`, or \/proc\/net\/tcp and \/proc\/net\/tcp6: its first line is "hello"\n/);
    });
  });

  it('control bytes in the file reach the terminal escaped: the unknown-format error and the skipped line', () => {
    withTemp('x.txt', '\x1b[2J\x1b]0;owned\x07hello\n', (path) => {
      const r = twlab('inspect', '--from', path);
      assert.equal(r.code, 2);
      assert.ok(!r.stderr.includes('\x1b') && !r.stderr.includes('\x07'), JSON.stringify(r.stderr));
      assert.match(r.stderr, /first line is "\\x1b\[2J\\x1b\]0;owned\\x07hello"/);
    });
    const ss = readFileSync(join(FIXTURES, 'ss-tan.txt'), 'utf8') + 'WEIRD\x1b[2J 0 0 198.18.0.1:1 198.18.0.2:80\n';
    withTemp('ss.txt', ss, (path) => {
      const r = twlab('inspect', '--from', path);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes('\x1b'), 'raw ESC in the report');
      assert.match(r.stdout, /1 line\(s\) could not be read .*unknown state "WEIRD\\x1b\[2J"/);
    });
  });

  it('a dump over 512 MiB (more than one V8 string holds) is read whole', () => {
    // A sparse file: the ss dump, then 600 lines of 1 MiB of NUL bytes (holes: no disk used).
    const head = readFileSync(join(FIXTURES, 'ss-tan.txt'));
    const MiB = 1024 * 1024;
    withTemp('big.txt', '', (path) => {
      const fd = openSync(path, 'r+');
      try {
        writeSync(fd, head, 0, head.length, 0);
        for (let i = 1; i <= 600; i++) writeSync(fd, '\n', head.length + i * MiB);
      } finally {
        closeSync(fd);
      }
      const r = twlab('inspect', '--json', '--from', path);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as Inspection;
      const small = JSON.parse(twlab('inspect', '--json', '--from', join(FIXTURES, 'ss-tan.txt')).stdout) as Inspection;
      assert.deepEqual(doc.sockets, small.sockets);
      assert.equal(doc.source.skipped_lines, 600);
      assert.ok(JSON.stringify(doc.source.skipped_examples).length < 10_000);
    });
  });

  it('skipped lines: the report gives their count and the first one, --json the first five with their text (as docs/inspect.md says)', () => {
    const lines = readFileSync(join(FIXTURES, 'ss-tan.txt'), 'utf8').split('\n');
    lines.splice(3, 0, ...Array.from({ length: 7 }, (_, i) => `WEIRD${i} 0 0 198.18.0.1:1 198.18.0.2:80`));
    withTemp('ss.txt', lines.join('\n'), (path) => {
      const text = twlab('inspect', '--from', path);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^7 line\(s\) could not be read and were skipped \(line 4: unknown state "WEIRD0"\)$/m);
      assert.doesNotMatch(text.stdout, /WEIRD1/);
      const doc = JSON.parse(twlab('inspect', '--json', '--from', path).stdout) as Inspection;
      assert.equal(doc.source.skipped_lines, 7);
      assert.deepEqual(
        doc.source.skipped_examples.map((e) => [e.line, e.text]),
        [4, 5, 6, 7, 8].map((n) => [n, `WEIRD${n - 4} 0 0 198.18.0.1:1 198.18.0.2:80`]),
      );
    });
  });

  it('a dump from a pipe (--from /dev/stdin, or <(ssh HOST ss -tanp)) is read like a file', () => {
    // Through sh, so that stdin is a pipe (spawnSync's `input` is a socket, which /dev/stdin cannot open).
    const script = 'cat "$1" | "$2" "$3" inspect --json --from /dev/stdin';
    const r = spawnSync('sh', ['-c', script, 'sh', join(FIXTURES, 'ss-tan.txt'), process.execPath, MAIN], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(r.status, 0, r.stderr);
    const small = JSON.parse(twlab('inspect', '--json', '--from', join(FIXTURES, 'ss-tan.txt')).stdout) as Inspection;
    assert.deepEqual((JSON.parse(r.stdout) as Inspection).sockets, small.sockets);
  });

  it('a missing file: exit 2', () => {
    const r = twlab('inspect', '--from', '/nonexistent/dump.txt');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read \/nonexistent\/dump\.txt: no such file/);
  });

  it('usage errors: exit 2 with the fix', () => {
    const cases: [string[], RegExp][] = [
      [['inspect', '--count', '2'], /--count goes with --watch/],
      [['inspect', '5s'], /an INTERVAL goes with --watch/],
      [['inspect', '--watch', '--from', 'x'], /cannot watch a --from file/],
      [['inspect', '--watch', 'soon'], /--watch soon/],
      [['inspect', '--top', '0'], /--top 0/],
      [['inspect', '--sockets', 'ss'], /--sockets ss: expected netlink or proc/],
      [['inspect', '--sockets', 'proc', '--from', 'x'], /--sockets chooses how this host is read/],
      [['advise', '--role', 'router'], /--role router: expected one of client, proxy, server/],
      [['exporter', '--listen', 'nowhere'], /--listen nowhere: expected ADDR:PORT/],
      [['exporter', '--destinations', 'many'], /--destinations many/],
      [['exporter', '--listeners', '1001'], /--listeners 1001: expected a whole number from 0 to 1000/],
    ];
    for (const [args, message] of cases) {
      const r = twlab(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });

  it('help lists the flags', () => {
    const r = twlab('help', 'inspect');
    assert.equal(r.code, 0);
    for (const flag of ['--json', '--from FILE', '--watch', '--count N', '--role ROLE', '--behind-nat']) assert.ok(r.stdout.includes(flag), flag);
  });
});

describe('twlab inspect on this host', () => {
  it('--json: a document with every state, sysctls and the kernel release', () => {
    const r = twlab('inspect', '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Inspection;
    assert.equal(doc.source.kind, 'host');
    assert.equal(Object.keys(doc.sockets.by_state).length, 11);
    assert.ok(doc.sysctls.some((s) => s.name === 'net.ipv4.ip_local_port_range' && s.value !== null));
    assert.match(doc.kernel.release ?? '', /^\d+\.\d+/);
  });

  it('--watch 0.2 --count 2 --json: two documents, the second with rates', () => {
    const r = twlab('inspect', '--watch', '0.2', '--count', '2', '--json');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    const [first, second] = lines.map((l) => JSON.parse(l) as Inspection & { rates: unknown });
    assert.equal(first?.rates, null);
    assert.ok(second?.rates && typeof (second.rates as { new_time_wait_per_s: number }).new_time_wait_per_s === 'number');
  });

  it('output that cannot be written (> /dev/full): one line naming the error, exit 1, no stack trace', { skip: !existsSync('/dev/full') }, () => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [MAIN, 'inspect', '--from', join(FIXTURES, 'ss-tan.txt')], { cwd: tmpdir(), stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.equal(r.stderr, 'twlab: cannot write the output: ENOSPC: no space left on device, write\n');
    } finally {
      closeSync(full);
    }
  });

  it('--watch into a reader that goes away (| head -1): exit 141 as SIGPIPE would, no stack trace', async () => {
    const child = spawn(process.execPath, [MAIN, 'inspect', '--watch', '0.2', '--json'], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Read the first document, then close the pipe as head does.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 141, stderr);
    assert.equal(stderr, '');
  });
});

describe('twlab advise', () => {
  it('--from a client dump: findings and advice with commands', () => {
    const r = twlab('advise', '--from', join(FIXTURES, 'ss-tan.txt'), '--role', 'client', '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { role: string; role_inferred: boolean; advice: { id: string; commands: string[] }[] };
    assert.equal(doc.role, 'client');
    assert.equal(doc.role_inferred, false);
    assert.ok(doc.advice.every((a) => a.commands.length > 0));
    assert.ok(doc.advice.some((a) => a.id === 'tw-reuse'));
  });

  it('text: the role, findings and advice, nothing else', () => {
    const r = twlab('advise', '--from', join(FIXTURES, 'ss-tanp.txt'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^twlab advise: .*role proxy \(inferred/);
    assert.match(r.stdout, /^Findings$/m);
    assert.doesNotMatch(r.stdout, /^Sockets by state/m);
  });
});

describe('twlab exporter', () => {
  it('serves /metrics, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN, 'exporter', '--listen', '127.0.0.1:0', '--destinations', '3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
        const onData = (d: Buffer): void => {
          out += d.toString();
          const m = /serving (http:\/\/\S+\/metrics)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1] as string);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const r = await fetch(url);
      assert.equal(r.status, 200);
      const exp = parseExposition(await r.text());
      assert.equal(sampleValue(exp, 'twlab_scrape_errors_total', { stage: 'read' }), 0);
      assert.ok(sampleValue(exp, 'twlab_sockets', { state: 'LISTEN', family: 'ipv4' }) !== undefined);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
