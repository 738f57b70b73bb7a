// The built-in scenarios (scenarios/*.yaml): each test checks on the result JSON what the
// scenario's description promises, so a description can never drift away from what the
// model does. close-wait-leak and small-range-burst are checked in run.test.ts,
// nat-tw-recycle in ../net/nat.test.ts.
//
// Several of these run 60-90 simulated seconds at 1000 connections/s (seconds of wall time
// each): the stories only show once a minute of TIME_WAIT has gone by. Each built-in runs
// once per test file; variants (a built-in's YAML with one thing changed) are run by the
// test that needs them.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_DIR, builtinNames, loadBuiltin } from '../scenario/builtin.js';
import { parseScenario } from '../scenario/load.js';
import type { ClientResult, HostResult, ProxyResult, Result, UpstreamResult } from './result.js';
import { simulate } from './run.js';
import { DIGIT_GROUP, verdict } from '../report/verdict.js';

const results = new Map<string, Result>();

/** The result of built-in `name`, simulated once per test file. */
function run(name: string): Result {
  let r = results.get(name);
  if (r === undefined) {
    r = simulate(loadBuiltin(name));
    results.set(name, r);
  }
  return r;
}

function yamlOf(name: string): string {
  return readFileSync(join(BUILTIN_DIR, `${name}.yaml`), 'utf8');
}

/** `text` with `from` replaced by `to`; `from` must occur exactly once (a variant never silently equals its base). */
function replaceOnce(text: string, from: string, to: string): string {
  const i = text.indexOf(from);
  assert.ok(i >= 0 && text.indexOf(from, i + 1) < 0, `expected exactly one ${JSON.stringify(from)}`);
  return text.slice(0, i) + to + text.slice(i + from.length);
}

/** Built-in `name` with edits applied to its YAML text. */
function variant(name: string, ...edits: [from: string, to: string][]): Result {
  let text = yamlOf(name);
  for (const [from, to] of edits) text = replaceOnce(text, from, to);
  return simulate(parseScenario(text, `variant of ${name}`));
}

function host(r: Result, name: string): HostResult {
  const h = r.hosts[name];
  assert.ok(h !== undefined, `no host ${name}`);
  return h;
}

function proxy(r: Result, name: string): ProxyResult {
  const p = r.proxies.find((x) => x.host === name);
  assert.ok(p !== undefined, `no proxy on ${name}`);
  return p;
}

function client(r: Result, i: number): ClientResult {
  const c = r.clients[i];
  assert.ok(c !== undefined, `no clients[${i}]`);
  return c;
}

function upstreams(r: Result): { where: string; u: UpstreamResult }[] {
  return r.proxies.flatMap((p) => p.upstreams.map((u) => ({ where: `${p.host} → ${u.target}`, u })));
}

/** A counter, 0 when the result leaves it out. */
function mib(r: Result, h: string, name: string): number {
  return host(r, h).mib[name] ?? 0;
}

/** Sockets of `state` on host `h` in the snapshot at `t` seconds. */
function snap(r: Result, t: number, h: string, state: 'TIME_WAIT' | 'LAST_ACK'): number {
  const s = r.snapshots.find((x) => x.t === t);
  assert.ok(s !== undefined, `no snapshot at ${t} s`);
  return s.hosts[h]?.[state] ?? 0;
}

/** The value of a host's series at `t` seconds. */
function seriesAt(r: Result, h: string, key: string, t: number): number {
  const i = r.series.t.indexOf(t);
  assert.ok(i >= 0, `no sample at ${t} s`);
  return r.series.hosts[h]?.[key]?.[i] ?? 0;
}

function noConnectErrors(r: Result): void {
  for (const [i, c] of r.clients.entries()) assert.deepEqual(Object.entries(c.errors).filter(([, n]) => n > 0), [], `clients[${i}] ${c.target}`);
  for (const { where, u } of upstreams(r)) assert.deepEqual(Object.entries(u.errors).filter(([, n]) => n > 0), [], where);
}

const DEFAULT_RANGE = 60999 - 32768 + 1; // 28 232 ports
const WIDE_RANGE = 65535 - 1024 + 1; // 64 512 ports

describe('every built-in', () => {
  it('is named after its file, sets its seed and has a description', () => {
    for (const name of builtinNames()) {
      const s = loadBuiltin(name);
      assert.equal(s.name, name);
      assert.match(yamlOf(name), /^seed: \d+$/m, `${name}: seed`);
      assert.ok((s.description ?? '').length > 80, `${name}: description`);
    }
  });

  it('has a test that holds it to its description (here, in run.test.ts or in nat.test.ts)', () => {
    const elsewhere = ['close-wait-leak', 'small-range-burst', 'nat-tw-recycle'];
    const here = readFileSync(new URL(import.meta.url), 'utf8');
    const untested = builtinNames().filter((n) => !elsewhere.includes(n) && !here.includes(`run('${n}')`));
    assert.deepEqual(untested, []);
  });
});

describe("the article's load balancer (article-lb and its variants)", () => {
  it('article-lb: at 500 connects/s per web server the load balancer runs out of ports for each before a minute (__inet_hash_connect: 28 232 ports / 60 s = 470/s)', () => {
    const r = run('article-lb');
    for (const u of proxy(r, 'lb').upstreams) {
      const first = u.errors_first_s.EADDRNOTAVAIL;
      assert.ok(first !== undefined && first > 50 && first < 60, `${u.target}: first EADDRNOTAVAIL at ${first} s`);
      assert.ok(u.errors.EADDRNOTAVAIL! > 1000, `${u.target}: ${u.errors.EADDRNOTAVAIL}`);
      assert.equal(u.connect_probes.max, DEFAULT_RANGE, 'a failing connect() scans the whole range');
    }
    // The web servers fill the whole range towards the database too, a few seconds later
    // (the load balancer's own failures slow them down).
    for (const web of ['web1', 'web2']) {
      const db = proxy(r, web).upstreams[0]!;
      const first = db.errors_first_s.EADDRNOTAVAIL;
      assert.ok(first !== undefined && first > 55 && first < 65, `${web} → db: first EADDRNOTAVAIL at ${first} s`);
      assert.equal(db.connect_probes.max, DEFAULT_RANGE, web);
      assert.ok(host(r, web).states_peak.TIME_WAIT! >= DEFAULT_RANGE, web);
    }
  });

  it('article-lb-tw-reuse: tcp_tw_reuse = 1 takes over TIME_WAITs older than 1 s (tcp_twsk_unique): no EADDRNOTAVAIL, no port scans', () => {
    const r = run('article-lb-tw-reuse');
    noConnectErrors(r);
    for (const p of r.proxies) assert.equal(p.failed, 0, p.host);
    assert.ok(mib(r, 'lb', 'TcpExtTWRecycled') > 25000, `lb TWRecycled ${mib(r, 'lb', 'TcpExtTWRecycled')}`);
    for (const web of ['web1', 'web2']) assert.ok(mib(r, web, 'TcpExtTWRecycled') > 12000, `${web} TWRecycled ${mib(r, web, 'TcpExtTWRecycled')}`);
    const tw = host(r, 'lb').states_peak.TIME_WAIT ?? 0;
    assert.ok(tw > 20000 && tw < 30000, `lb TIME_WAIT peak ${tw}: levels off near 25 000`);
    for (const { where, u } of upstreams(r)) assert.ok(u.connect_probes.p99 <= 2, `${where}: probes p99 ${u.connect_probes.p99}`);
  });

  it('article-lb-tw-reuse: the take-over needs timestamps from the peer (tcp_twsk_unique looks at tw_ts_recent_stamp)', () => {
    // 5 s with 1000 ports on the load balancer: 500 even ports per web server last 1 s at
    // 500/s, so every connect() needs a TIME_WAIT taken over from then on.
    const small = (timestamps: string): Result =>
      variant(
        'article-lb-tw-reuse',
        ['duration: 60s', 'duration: 5s'],
        ['count: 60000', 'count: 5000'],
        ['lb:     { address: 10.162.74.10, sysctl: { net.ipv4.tcp_tw_reuse: 1 } }', 'lb:     { address: 10.162.74.10, sysctl: { net.ipv4.tcp_tw_reuse: 1, net.ipv4.ip_local_port_range: "40000 40999" } }'],
        ['web1:   { address: 10.162.74.43, sysctl: { net.ipv4.tcp_tw_reuse: 1 } }', `web1:   { address: 10.162.74.43, sysctl: { net.ipv4.tcp_tw_reuse: 1, net.ipv4.tcp_timestamps: ${timestamps} } }`],
        ['web2:   { address: 10.162.74.44, sysctl: { net.ipv4.tcp_tw_reuse: 1 } }', `web2:   { address: 10.162.74.44, sysctl: { net.ipv4.tcp_tw_reuse: 1, net.ipv4.tcp_timestamps: ${timestamps} } }`],
      );
    const on = small('1');
    assert.ok(mib(on, 'lb', 'TcpExtTWRecycled') > 3000, `TWRecycled ${mib(on, 'lb', 'TcpExtTWRecycled')}`);
    assert.ok(proxy(on, 'lb').upstreams.every((u) => u.errors.EADDRNOTAVAIL === 0));
    const off = small('0');
    assert.equal(mib(off, 'lb', 'TcpExtTWRecycled'), 0);
    assert.ok(proxy(off, 'lb').upstreams.every((u) => u.errors.EADDRNOTAVAIL! > 1000));
  });

  it('article-lb-wide-range: 64 512 ports outlast a 60 s TIME_WAIT at 500/s per destination; TIME_WAIT levels off below the range', () => {
    const r = run('article-lb-wide-range');
    noConnectErrors(r);
    for (const p of r.proxies) assert.equal(p.failed, 0, p.host);
    const lb = host(r, 'lb');
    const tw = lb.states_peak.TIME_WAIT ?? 0;
    assert.ok(tw > 60000 && tw < WIDE_RANGE, `lb TIME_WAIT peak ${tw}`);
    assert.ok((lb.states_end.TIME_WAIT ?? 0) <= tw, 'it has levelled off');
    assert.ok(seriesAt(r, 'lb', 'TIME_WAIT', 70) - seriesAt(r, 'lb', 'TIME_WAIT', 65) < 1000, 'flat after a minute');
    for (const web of ['web1', 'web2']) {
      const w = host(r, web).states_peak.TIME_WAIT ?? 0;
      assert.ok(w > 30000 && w < 32000, `${web} TIME_WAIT peak ${w}`);
    }
    assert.ok(lb.timewait_memory_bytes_peak > 15e6 && lb.timewait_memory_bytes_peak < 17e6, `${lb.timewait_memory_bytes_peak} B`);
  });

  it('article-lb-web-closes: the servers close first: no TIME_WAIT on the load balancer, and SYNs reopen the servers\' TIME_WAITs (tcp_timewait_state_process, RFC 6191)', () => {
    const r = run('article-lb-web-closes');
    noConnectErrors(r);
    const lb = host(r, 'lb');
    assert.equal(lb.states_peak.TIME_WAIT ?? 0, 0);
    assert.ok(lb.bind_buckets_peak <= 4, `lb local ports in use peak ${lb.bind_buckets_peak}`);
    assert.equal(mib(r, 'lb', 'TcpExtTWRecycled'), 0);
    assert.ok(proxy(r, 'lb').upstreams.every((u) => u.connect_probes.max === 1));
    // Every connection leaves a TIME_WAIT on its server (TcpExtTW), none of them old enough to
    // expire within the 60 s run: the missing ones were all reopened by a new SYN.
    for (const [server, conns, plateau] of [['web1', 29978, 13000], ['web2', 29977, 13000], ['db', 60000, 26000]] as const) {
      const h = host(r, server);
      assert.equal(h.mib.TcpExtTW, conns, server);
      assert.equal(h.mib.TcpPassiveOpens, conns, server);
      const end = h.states_end.TIME_WAIT ?? 0;
      assert.ok(Math.abs(end - plateau) < plateau * 0.1, `${server}: TIME_WAIT ${end}, near ${plateau}`);
      assert.ok(conns - end > conns / 2, `${server}: ${conns - end} reopened`);
    }
  });

  it('article-lb-keepalive: no EADDRNOTAVAIL and no TIME_WAIT behind the load balancer: pooled connections are never closed', () => {
    const r = run('article-lb-keepalive');
    noConnectErrors(r);
    for (const h of ['lb', 'web1', 'web2', 'db']) assert.equal(host(r, h).states_peak.TIME_WAIT ?? 0, 0, h);
    for (const { where, u } of upstreams(r)) assert.ok(u.reused > 0, where);
  });

  it(
    'article-lb-keepalive: every request is served, almost all on pooled connections (reused close to requests)',
    () => {
      const r = run('article-lb-keepalive');
      const c = client(r, 0);
      assert.ok(c.completed >= c.connected - 100, `completed ${c.completed} of ${c.connected}`);
      const lb = proxy(r, 'lb');
      for (const [i, u] of lb.upstreams.entries()) {
        assert.ok(u.attempted <= 64, `${u.target}: ${u.attempted} connections`);
        assert.ok(u.reused >= (lb.requests / 2) - 64, `${u.target}: reused ${u.reused}`);
        const sent = u.attempted + u.reused;
        const served = proxy(r, `web${i + 1}`).requests;
        assert.ok(sent - served >= 0 && sent - served <= 2, `${u.target}: ${served} of ${sent} served (a request may be in flight at the end)`);
      }
    },
  );
});

describe('figure one: a stale segment and a new incarnation of the four-tuple', () => {
  it('stale-segment: without TIME_WAIT the new connection accepts 285 bytes of the old one and completes as if nothing happened', () => {
    const r = run('stale-segment');
    assert.deepEqual(r.what_if, { client: { timewait_len: '0s' } });
    assert.equal(snap(r, 0.099, 'client', 'TIME_WAIT'), 0, 'the four-tuple is free before the second connect()');
    assert.deepEqual(r.integrity, { stale_segments_accepted: 1, stale_bytes_accepted: 285, resets_from_stale_state: 0 });
    assert.equal(client(r, 0).completed, 1);
    assert.equal(client(r, 1).completed, 1, 'the corrupted exchange looks complete');
  });

  it('stale-segment: with timestamps the same copy is dropped by PAWS (tcp_validate_incoming, tcp_paws_discard)', () => {
    // With timestamps a data segment carries 1448 bytes, not 1460 (tcp_sync_mss), so the copy
    // that reaches the new connection is the 1083rd data segment, not the 1073rd.
    const r = variant('stale-segment', ['net.ipv4.tcp_timestamps: 0', 'net.ipv4.tcp_timestamps: 1'], ['nth: 1073', 'nth: 1083']);
    assert.equal(r.integrity!.stale_segments_accepted, 0);
    assert.ok(mib(r, 'client', 'TcpExtPAWSEstab') >= 1);
    assert.equal(client(r, 1).completed, 1);
  });

  it('stale-segment-timewait: TIME_WAIT holds the four-tuple (EADDRNOTAVAIL), nothing stale is accepted, the server\'s RST kills the TIME_WAIT (RFC 1337)', () => {
    const r = run('stale-segment-timewait');
    assert.equal(snap(r, 0.099, 'client', 'TIME_WAIT'), 1);
    const again = client(r, 1);
    assert.equal(again.connected, 0);
    assert.equal(again.errors.EADDRNOTAVAIL, 1, 'connect() from the bound port while TIME_WAIT holds the four-tuple (tcp_twsk_unique: no timestamps)');
    assert.deepEqual(r.integrity, { stale_segments_accepted: 0, stale_bytes_accepted: 0, resets_from_stale_state: 1 });
    assert.equal(mib(r, 'server', 'TcpOutRsts'), 1, 'the server resets the TIME_WAIT\'s ACK of the copy');
    assert.equal(host(r, 'client').states_end.TIME_WAIT ?? 0, 0, 'the in-window RST ended the TIME_WAIT (tcp_rfc1337 = 0)');
    const guarded = variant('stale-segment-timewait', ['net.ipv4.tcp_timestamps: 0', 'net.ipv4.tcp_timestamps: 0, net.ipv4.tcp_rfc1337: 1']);
    assert.equal(host(guarded, 'client').states_end.TIME_WAIT, 1, 'tcp_rfc1337 = 1 ignores the RST');
  });
});

describe('figure two: the last ACK is lost', () => {
  it('lost-last-ack: the TIME_WAIT re-ACKs the retransmitted FIN and the server closes; no RST; the port stays held (EADDRNOTAVAIL)', () => {
    const r = run('lost-last-ack');
    assert.deepEqual([0.05, 0.15, 0.5].map((t) => snap(r, t, 'server', 'LAST_ACK')), [2, 2, 0]);
    assert.equal(mib(r, 'server', 'TcpRetransSegs'), 2, 'one FIN retransmission per connection');
    assert.equal(mib(r, 'client', 'TcpOutRsts'), 0);
    assert.equal(mib(r, 'server', 'TcpOutRsts'), 0);
    assert.equal(host(r, 'client').states_end.TIME_WAIT, 2);
    assert.equal(client(r, 0).completed, 1);
    assert.equal(client(r, 1).completed, 1);
    assert.equal(client(r, 1).errors.EADDRNOTAVAIL, 1, 'the reconnect from port 45680 is refused at once');
    assert.equal(r.integrity!.resets_from_stale_state, 0);
  });

  it('lost-last-ack-no-timewait: the FIN retransmission gets an RST; the reconnect meets the LAST_ACK: challenge ACK, RST, SYN again after TCP_TIMEOUT_MIN (tcp_rcv_synsent_state_process)', () => {
    const r = run('lost-last-ack-no-timewait');
    assert.deepEqual(r.what_if, { client: { timewait_len: '0s' } });
    assert.deepEqual([0.05, 0.15, 0.5].map((t) => snap(r, t, 'server', 'LAST_ACK')), [2, 1, 0]);
    assert.equal(mib(r, 'client', 'TcpOutRsts'), 2);
    assert.equal(mib(r, 'server', 'TcpExtTCPChallengeACK'), 1);
    assert.equal(mib(r, 'client', 'TcpExtTCPSynRetrans'), 1);
    const again = client(r, 1);
    assert.equal(again.completed, 2, 'delayed, not failed');
    assert.ok(again.connect_ms.max >= 8 && again.connect_ms.max < 20, `connect ms max ${again.connect_ms.max}`);
    assert.equal(r.integrity!.resets_from_stale_state, 2);
  });
});

describe('one load generator, one server, 1000 connections/s (loadtest-exhaustion and its fixes)', () => {
  it('loadtest-exhaustion: EADDRNOTAVAIL from 28 232 / 1000 = 28.2 s until the first TIME_WAITs expire 60-62 s after they began', () => {
    const r = run('loadtest-exhaustion');
    const c = client(r, 0);
    assert.ok(Math.abs(c.errors_first_s.EADDRNOTAVAIL! - DEFAULT_RANGE / 1000) < 0.05, `first at ${c.errors_first_s.EADDRNOTAVAIL} s`);
    assert.equal(host(r, 'loadgen').states_peak.TIME_WAIT, DEFAULT_RANGE);
    assert.equal(c.connect_probes.max, DEFAULT_RANGE);
    assert.equal(seriesAt(r, 'loadgen', 'connect_errors', 20), 0);
    assert.equal(seriesAt(r, 'loadgen', 'connect_errors', 40), 1000, 'every connect() fails');
    assert.equal(seriesAt(r, 'loadgen', 'connect_errors', 70), 0, 'ports come free as the first TIME_WAITs expire');
    assert.equal(seriesAt(r, 'loadgen', 'connect_errors', 90), 0);
    // The range once, then the ports that came free after 60-62 s: about 470/s over the run.
    assert.ok(c.connected > 2 * DEFAULT_RANGE - 2000 && c.connected <= 2 * DEFAULT_RANGE, `connected ${c.connected}`);
  });

  it('loadtest-exhaustion-tw-reuse, -wide-range, -server-closes: each of the three fixes connects all 90 000', () => {
    const base = client(run('loadtest-exhaustion'), 0);
    assert.ok(base.errors.EADDRNOTAVAIL! > 30000);

    const reuse = run('loadtest-exhaustion-tw-reuse');
    assert.equal(client(reuse, 0).connected, 90000);
    assert.ok(mib(reuse, 'loadgen', 'TcpExtTWRecycled') > 60000, `TWRecycled ${mib(reuse, 'loadgen', 'TcpExtTWRecycled')}`);
    assert.ok(host(reuse, 'loadgen').states_peak.TIME_WAIT! < DEFAULT_RANGE / 2);
    assert.ok(client(reuse, 0).connect_probes.p99 <= 2);

    const wide = run('loadtest-exhaustion-wide-range');
    assert.equal(client(wide, 0).connected, 90000);
    const tw = host(wide, 'loadgen').states_peak.TIME_WAIT ?? 0;
    assert.ok(tw > 60000 && tw < WIDE_RANGE, `TIME_WAIT peak ${tw}`);
    assert.ok(client(wide, 0).connect_probes.max > 10000, 'expensive once the even ports fill');

    const sc = run('loadtest-exhaustion-server-closes');
    assert.equal(client(sc, 0).connected, 90000);
    assert.equal(client(sc, 0).completed, 90000);
    assert.equal(host(sc, 'loadgen').states_peak.TIME_WAIT ?? 0, 0);
    const server = host(sc, 'server');
    assert.equal(server.mib.TcpExtTW, 90000, 'every connection left a TIME_WAIT on the server');
    assert.ok(server.states_peak.TIME_WAIT! < 20000, `server TIME_WAIT peak ${server.states_peak.TIME_WAIT}: reopened by new SYNs`);
  });
});

describe('other ways around TIME_WAIT', () => {
  it('linger-rst: SO_LINGER 0 closes with an RST (tcp_disconnect): no TIME_WAIT; the unsent rest of a response is lost (ECONNRESET)', () => {
    const r = run('linger-rst');
    for (const h of ['client', 'server']) assert.equal(host(r, h).states_peak.TIME_WAIT ?? 0, 0, h);
    const [quiet, cut] = [client(r, 0), client(r, 1)];
    assert.equal(quiet.completed, 200);
    assert.deepEqual(Object.entries(quiet.errors).filter(([, n]) => n > 0), []);
    assert.equal(cut.completed, 0);
    assert.equal(cut.errors.ECONNRESET, 200);
    assert.equal(mib(r, 'client', 'TcpExtTCPAbortOnData'), 200);
    assert.equal(mib(r, 'server', 'TcpExtTCPAbortOnData'), 200);
    assert.ok(mib(r, 'server', 'TcpEstabResets') >= 200);
    assert.ok(mib(r, 'server', 'TcpOutRsts') > 200, 'the clients\' ACKs for dropped connections are reset too');
    assert.equal(r.integrity!.resets_from_stale_state, mib(r, 'server', 'TcpOutRsts') - 200);
    // Without SO_LINGER 0 the responses arrive whole and the closers keep their TIME_WAIT.
    const off = variant('linger-rst', [', linger: 0, response_bytes: 100000', ', response_bytes: 100000'], [', close: first, linger: 0 }', ', close: first }']);
    assert.equal(client(off, 1).completed, 200);
    assert.equal(host(off, 'client').states_end.TIME_WAIT, 200);
    assert.equal(host(off, 'server').states_end.TIME_WAIT, 200);
  });

  it('max-tw-buckets: TIME_WAIT capped at 500, TcpExtTCPTimeWaitOverflow counts the rest, the 1000 ports never run out (inet_twsk_alloc)', () => {
    const r = run('max-tw-buckets');
    assert.equal(host(r, 'client').states_end.TIME_WAIT, 500);
    assert.deepEqual([1, 4].map((t) => snap(r, t, 'client', 'TIME_WAIT')), [500, 500]);
    assert.equal(mib(r, 'client', 'TcpExtTCPTimeWaitOverflow'), 4500);
    assert.equal(client(r, 0).completed, 5000);
    assert.equal(mib(r, 'client', 'TcpOutRsts'), 0, 'no RST');
    const uncapped = variant('max-tw-buckets', [', net.ipv4.tcp_max_tw_buckets: 500', '']);
    assert.equal(client(uncapped, 0).connected, 1000);
    assert.equal(client(uncapped, 0).errors.EADDRNOTAVAIL, 4000);
  });
});

// The same stories, told by the report's "What happened" (../report/verdict.ts) from this
// run's figures: a built-in tells its story in its output, not only in its description.
describe('every built-in tells its story in "What happened"', () => {
  const says = (name: string): string => verdict(run(name), loadBuiltin(name)).join('\n').replaceAll(DIGIT_GROUP, ' ');

  it("lost-last-ack: the server's FIN retransmission, answered by the TIME_WAIT, no RST", () => {
    const s = says('lost-last-ack');
    assert.match(s, /final ACK of a close was dropped on the way to server .* stayed in LAST_ACK \(2 at peak\) and retransmitted its FIN \(TcpRetransSegs 2 on server\); the TIME_WAIT on client answered with an ACK again and server closed, with no RST/s);
  });

  it('lost-last-ack-no-timewait: LAST_ACK left to an RST; the reconnect meets it: challenge ACK, RST, SYN again, a slower connect()', () => {
    const s = says('lost-last-ack-no-timewait');
    assert.match(s, /client keeps no TIME_WAIT .* server stayed in LAST_ACK \(2 at peak\) and its retransmitted FIN \(TcpRetransSegs 1 on server\) was answered with an RST/s);
    assert.match(s, /challenge ACK \(TcpExtTCPChallengeACK 1\), client answered that with an RST \(TcpOutRsts 2 on client in all\) and sent its SYN again \(TcpExtTCPSynRetrans 1\), so the slowest connect\(\) took 10\.1 ms against 0\.1 ms at p50/);
    assert.match(s, /client sent 2 RSTs in answer to segments of connections it had already ended, which server still held/);
  });

  it('linger-rst: the server, having aborted, resets the connections the client still holds', () => {
    assert.match(says('linger-rst'), /server sent 2 000 RSTs in answer to segments of connections it had already ended, which client still held/);
  });

  it("article-lb-web-closes: no TIME_WAIT and free ports on the load balancer; SYNs reopen the servers' TIME_WAITs", () => {
    const s = says('article-lb-web-closes');
    assert.match(s, /lb holds no TIME_WAIT: web1 and web2 close first/);
    assert.match(s, /web1 holds 12 793 TIME_WAIT sockets at the end of the 29 978 it entered \(TcpExtTW\), web2 12 581 of 29 977 and db 25 652 of 60 000; none can have expired .* new SYNs from lb, web1 and web2 reopened the others/s);
  });

  it("close-wait-leak: the clients' orphaned FIN_WAIT_2 go after tcp_fin_timeout, the server's CLOSE_WAIT stays", () => {
    assert.match(says('close-wait-leak'), /client's side of the 50 connections closed first and waited in FIN_WAIT_2 .* each went after tcp_fin_timeout \(5 s\), so none is left on client, while server's CLOSE_WAIT stays/s);
  });
});
