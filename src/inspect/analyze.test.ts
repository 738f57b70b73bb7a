// The arithmetic and the advice, on hand-built observations: ports per destination, which
// sockets are outgoing, tw_reuse's reach, sysctls against their defaults, and the advice a
// client, a proxy and a server get on this kernel and on a 4.4 one.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TcpState } from '../tcp/state.js';
import { advise } from './advice.js';
import { analyze } from './analyze.js';
import { inspectObservation } from './inspect.js';
import type { Observation } from './observation.js';
import { counterRates } from './rates.js';
import { renderAdvised, renderInspection } from './render.js';
import { SocketTable, type Owner, type SocketRecord } from './socket.js';

const HOST = '198.18.0.1';
const DEST = '198.18.0.2';

/** Sockets: `n` of a state from consecutive local ports. */
function sockets(n: number, state: TcpState, from: { port: number; remote?: string; remotePort?: number; local?: string; inode?: number; owners?: Owner[] }): SocketRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    family: 4 as const,
    state,
    localAddress: from.local ?? HOST,
    localPort: from.port + i,
    remoteAddress: from.remote ?? DEST,
    remotePort: from.remotePort ?? 80,
    inode: from.inode ?? 0,
    ...(from.owners ? { owners: from.owners } : {}),
  }));
}

function listener(port: number): SocketRecord {
  return { family: 4, state: 'LISTEN', localAddress: '0.0.0.0', localPort: port, remoteAddress: '0.0.0.0', remotePort: 0, inode: 1 };
}

/** A live-host observation with sysctls as /proc/sys prints them. */
function host(list: SocketRecord[], sysctl: Record<string, string> = {}, extra: Partial<Observation> = {}): Observation {
  const text = new Map<string, string>([
    ['net.ipv4.ip_local_port_range', '50000\t50099'],
    ['net.ipv4.tcp_tw_reuse', '2'],
    ['net.ipv4.tcp_tw_reuse_delay', '1000'],
    ['net.ipv4.tcp_timestamps', '1'],
    ['net.ipv4.tcp_fin_timeout', '60'],
    ['net.ipv4.tcp_max_tw_buckets', '131072'],
    ...Object.entries(sysctl),
  ]);
  return {
    origin: { kind: 'host', kernelRelease: '6.18.44-test' },
    takenAtMs: Date.UTC(2026, 10, 27),
    sockets: SocketTable.of(list),
    socketSource: 'test',
    skipped: 0,
    skippedExamples: [],
    ownersSeen: true,
    socketInodes: true,
    ownerScan: { unreadable: 0 },
    sysctlText: text,
    notes: [],
    ...extra,
  };
}

describe('ephemeral ports per destination', () => {
  it('usable = range - reserved - bound; free, held open and the sustainable rate', () => {
    const obs = host(
      [listener(50050), ...sockets(30, 'TIME_WAIT', { port: 50000 }), ...sockets(5, 'ESTABLISHED', { port: 50030, inode: 7 })],
      { 'net.ipv4.ip_local_reserved_ports': '50090-50099' },
    );
    const { inspection: ins } = analyze(obs);
    assert.deepEqual(ins.ports, { range: [50000, 50099], range_size: 100, reserved_in_range: 10, bound_in_range: 1, usable: 89 });
    const [d] = ins.destinations;
    assert.ok(d);
    assert.equal(d.destination, '198.18.0.2:80');
    assert.equal(d.ports_in_use, 35);
    assert.equal(d.held_open, 5);
    assert.equal(d.free_ports, 54);
    assert.equal(d.use_ratio, Number((35 / 89).toFixed(4)));
    assert.equal(d.recent_per_s, 0.5); // 30 TIME_WAIT / 60 s
    assert.equal(d.sustainable_per_s, 1.4); // (89 - 5) / 60 s
    assert.equal(d.tw_reuse_applies, false); // tw_reuse 2, not loopback
    assert.equal(d.sustainable_with_reuse_per_s, null);
  });

  it('tcp_tw_reuse=1 with timestamps: ports / tw_reuse_delay', () => {
    const obs = host(sockets(30, 'TIME_WAIT', { port: 50000 }), { 'net.ipv4.tcp_tw_reuse': '1', 'net.ipv4.tcp_tw_reuse_delay': '500' });
    const [d] = analyze(obs).inspection.destinations;
    assert.equal(d?.tw_reuse_applies, true);
    assert.equal(d?.sustainable_with_reuse_per_s, 200); // 100 ports / 0.5 s
  });

  it('tcp_tw_reuse=2 reaches loopback destinations only; timestamps off stops it', () => {
    const list = [...sockets(3, 'TIME_WAIT', { port: 50000, local: '127.0.0.1', remote: '127.0.0.1' }), ...sockets(3, 'TIME_WAIT', { port: 50010 })];
    const reach = (o: Observation): Record<string, boolean> => Object.fromEntries(analyze(o).inspection.destinations.map((d) => [d.destination, d.tw_reuse_applies]));
    assert.deepEqual(reach(host(list)), { '127.0.0.1:80': true, '198.18.0.2:80': false });
    assert.deepEqual(reach(host(list, { 'net.ipv4.tcp_timestamps': '0' })), { '127.0.0.1:80': false, '198.18.0.2:80': false });
  });

  it('accepted sockets (their local port listens) are not destinations; they count by peer', () => {
    const obs = host([listener(80), ...sockets(4, 'TIME_WAIT', { port: 80, remote: '198.18.0.9', remotePort: 40000 }).map((s, i) => ({ ...s, localPort: 80, remotePort: 40000 + i }))]);
    const ins = analyze(obs).inspection;
    assert.equal(ins.destinations.length, 0);
    assert.equal(ins.time_wait.incoming, 4);
    assert.deepEqual(ins.time_wait.by_peer, [{ address: '198.18.0.9', count: 4 }]);
    assert.deepEqual(ins.time_wait.by_local_port, [{ port: 80, count: 4 }]);
  });

  it('by local port: the 1000 busiest, most first then by port number; the rest counted in more', () => {
    // 3000 ports with 1 to 3 sockets each, and one with 2000 (a server's port).
    const list = [
      ...Array.from({ length: 3000 }, (_, k) => sockets(1 + (k % 3), 'TIME_WAIT', { port: 1000 + k, remotePort: 80 }).map((s, i) => ({ ...s, localPort: 1000 + k, remotePort: 80 + i }))).flat(),
      ...sockets(2000, 'TIME_WAIT', { port: 9999 }).map((s, i) => ({ ...s, localPort: 9999, remotePort: 1 + i })),
    ];
    const counts = new Map<number, number>();
    for (const s of list) counts.set(s.localPort, (counts.get(s.localPort) ?? 0) + 1);
    const naive = [...counts].map(([port, count]) => ({ port, count })).sort((a, b) => b.count - a.count || a.port - b.port);
    const ins = analyze(host(list)).inspection;
    assert.deepEqual(ins.time_wait.by_local_port, naive.slice(0, 1000));
    assert.equal(ins.time_wait.more.by_local_port, 3001 - 1000);
  });

  it('destinations interleaved as the kernel hash lists them: each counted apart, by source address too', () => {
    // 300 destinations (address x port), each from 2 local addresses, their sockets round-robin:
    // more than the destination index's first sizes, so it grows and rehashes mid-pass.
    const list: SocketRecord[] = [];
    const naive = new Map<string, { tw: number; est: number }>();
    for (let k = 0; k < 3000; k++) {
      const d = k % 300;
      const remote = `198.18.1.${d % 100}`;
      const remotePort = 8000 + Math.floor(d / 100);
      const local = Math.floor(k / 300) % 2 === 0 ? HOST : '198.18.0.3';
      const state: TcpState = k % 7 === 0 ? 'ESTABLISHED' : 'TIME_WAIT';
      list.push({ family: 4, state, localAddress: local, localPort: 50000 + (k % 100), remoteAddress: remote, remotePort, inode: 0 });
      const key = `${remote}:${remotePort} ${local}`;
      const c = naive.get(key) ?? { tw: 0, est: 0 };
      if (state === 'TIME_WAIT') c.tw++;
      else c.est++;
      naive.set(key, c);
    }
    const ins = analyze(host(list)).inspection;
    assert.equal(ins.destinations.length, 600);
    for (const d of ins.destinations) {
      const c = naive.get(`${d.destination} ${d.source}`);
      assert.ok(c, `${d.destination} from ${d.source}`);
      assert.deepEqual([d.by_state.TIME_WAIT ?? 0, d.by_state.ESTABLISHED ?? 0], [c.tw, c.est], d.destination);
      assert.equal(d.ports_in_use, c.tw + c.est);
      assert.equal(d.held_open, c.est);
    }
  });

  it('without listeners (a dump without -a), a local port in the range means outgoing', () => {
    const obs = host([...sockets(2, 'TIME_WAIT', { port: 50000 }), ...sockets(1, 'TIME_WAIT', { port: 443, remote: '198.18.0.7', remotePort: 50500 })]);
    const ins = analyze(obs).inspection;
    assert.equal(ins.time_wait.outgoing, 2);
    assert.equal(ins.time_wait.incoming, 1);
  });
});

describe('owners, memory, sysctls', () => {
  it('CLOSE_WAIT by process; FIN_WAIT_2 without a file is an orphan; with an unseen owner it is unknown', () => {
    const owner = [{ pid: 42, command: 'leaky' }];
    const obs = host([
      listener(7000),
      ...sockets(3, 'CLOSE_WAIT', { port: 7000, inode: 11, owners: owner }).map((s) => ({ ...s, localPort: 7000 })),
      ...sockets(2, 'FIN_WAIT_2', { port: 50000 }),
      ...sockets(1, 'CLOSE_WAIT', { port: 7000, inode: 12 }).map((s) => ({ ...s, localPort: 7000 })),
    ]);
    const ins = analyze(obs).inspection;
    assert.deepEqual(ins.processes, [{ pid: 42, command: 'leaky', close_wait: 3, close_wait_not_accepted: 0, fin_wait_2: 0, close_wait_ports: [7000], not_accepted_ports: [] }]);
    assert.equal(ins.owners.orphaned_fin_wait_2, 2);
    assert.equal(ins.owners.unknown, 1);
  });

  it('timewait memory uses the tw_sock_TCP object size from slabinfo', () => {
    const slab = new Map([['tw_sock_TCP', { activeObjs: 100, numObjs: 112, objSize: 320 }]]);
    const ins = analyze(host(sockets(10, 'TIME_WAIT', { port: 50000 }), {}, { slab })).inspection;
    assert.equal(ins.memory.bytes_per_timewait, 320);
    assert.equal(ins.memory.bytes_per_timewait_from, 'slabinfo');
    assert.equal(ins.memory.timewait_bytes, 3200);
    assert.deepEqual(ins.memory.slab_bytes, { tw_sock_TCP: 32000 });
  });

  it('sysctls next to their defaults; tcp_tw_recycle absent on 6.18; memory-derived defaults from ehash', () => {
    const ins = analyze(host([], { 'net.ipv4.tcp_max_tw_buckets': '4096' }, { ehashEntries: -65536 })).inspection;
    const row = (name: string) => ins.sysctls.find((r) => r.name === name);
    assert.deepEqual(row('net.ipv4.ip_local_port_range'), { name: 'net.ipv4.ip_local_port_range', value: '50000 50099', default: '32768 60999', differs: true, assumed: false, host_wide: false });
    assert.equal(row('net.ipv4.tcp_max_tw_buckets')?.default, '32768'); // 65536 / 2
    assert.equal(row('net.ipv4.tcp_max_orphans')?.default, '32768', 'tcp.c tcp_init: half the host hash');
    assert.equal(row('net.ipv4.tcp_max_tw_buckets')?.differs, true);
    assert.deepEqual(row('net.ipv4.tcp_tw_recycle'), { name: 'net.ipv4.tcp_tw_recycle', value: null, default: null, differs: false, assumed: false, host_wide: false });
    assert.equal(ins.kernel.tw_recycle_exists, false);
  });

  it('tcp_max_orphans defaults to half the host hash: known in the initial namespace, not in one with a hash of its own', () => {
    const init = analyze(host([], { 'net.ipv4.tcp_max_orphans': '1000' }, { ehashEntries: 16384 })).inspection;
    assert.equal(init.sysctls.find((r) => r.name === 'net.ipv4.tcp_max_orphans')?.default, '8192');
    const own = analyze(host([], {}, { ehashEntries: 16384 })).inspection;
    assert.equal(own.sysctls.find((r) => r.name === 'net.ipv4.tcp_max_orphans')?.default, '131072', 'the profile default, the host hash being unknown');
    assert.equal(own.sysctls.find((r) => r.name === 'net.ipv4.tcp_max_tw_buckets')?.default, '8192');
  });

  it('a sysctl the kernel printed but twlab cannot read becomes a note, not a crash', () => {
    const ins = analyze(host([], { 'net.ipv4.tcp_tw_reuse': 'banana' })).inspection;
    assert.ok(ins.notes.some((n) => n.startsWith('net.ipv4.tcp_tw_reuse = "banana"')));
  });
});

/** n CLOSE_WAIT on accepted connections to local port `port` (remote ports 40000 up). */
function accepted(n: number, port: number, from: { inode?: number; owners?: Owner[]; local?: string; firstRemotePort?: number } = {}): SocketRecord[] {
  return sockets(n, 'CLOSE_WAIT', { port, remote: '198.18.0.9', ...from }).map((s, i) => ({ ...s, localPort: port, remotePort: (from.firstRemotePort ?? 40000) + i }));
}

/** A listener on ADDRESS:PORT with an inode, held by OWNERS (none: its process not seen). */
function listenerOn(address: string, port: number, inode: number, owners?: Owner[]): SocketRecord {
  return { family: address.includes(':') ? 6 : 4, state: 'LISTEN', localAddress: address, localPort: port, remoteAddress: address.includes(':') ? '::' : '0.0.0.0', remotePort: 0, inode, ...(owners ? { owners } : {}) };
}

describe('owners: who has the CLOSE_WAIT and FIN_WAIT_2 sockets', () => {
  it('owners not looked up (the exporter): a FIN_WAIT_2 with inode 0 is still an orphan, and a timewait socket', () => {
    const obs = host([...sockets(4, 'TIME_WAIT', { port: 50000 }), ...sockets(7, 'FIN_WAIT_2', { port: 50010 }), ...sockets(2, 'FIN_WAIT_2', { port: 50020, inode: 31 })], {}, { ownersSeen: false });
    delete obs.ownerScan;
    const ins = analyze(obs).inspection;
    assert.equal(ins.owners.orphaned_fin_wait_2, 7);
    assert.deepEqual(ins.owners.fin_wait_2, { held: 0, orphaned: 7, not_visible: 0, not_looked_up: 2 });
    assert.equal(ins.memory.timewait_sockets, 4 + 7);
    assert.equal(ins.memory.timewait_bytes, 11 * 256);
  });

  it('a saved /proc/net/tcp has inodes: orphans known without owners; ss -tan text has neither', () => {
    const list = [...sockets(3, 'FIN_WAIT_2', { port: 50000 }), ...sockets(1, 'FIN_WAIT_2', { port: 50010, inode: 9 })];
    const proc = { ...host(list), origin: { kind: 'file' as const, path: 'tcp.txt', format: 'proc' as const }, ownersSeen: false };
    assert.deepEqual(analyze(proc).inspection.owners.fin_wait_2, { held: 0, orphaned: 3, not_visible: 0, not_looked_up: 1 });
    const ss = { ...proc, origin: { kind: 'file' as const, path: 'ss.txt', format: 'ss' as const }, socketInodes: false };
    assert.deepEqual(analyze(ss).inspection.owners.fin_wait_2, { held: 0, orphaned: 0, not_visible: 0, not_looked_up: 4 });
  });

  it('CLOSE_WAIT with inode 0 was never accepted: put on the process holding its listener, and the advice is its accept loop', () => {
    const server = [{ pid: 77, command: 'server' }];
    const ins = inspectObservation(host([listenerOn('0.0.0.0', 7000, 5, server), ...accepted(5, 7000)])).analysis.inspection;
    assert.deepEqual(ins.owners.close_wait, { held: 0, not_accepted: 5, not_accepted_no_owner: 0, not_accepted_ports: [7000], not_visible: 0, not_looked_up: 0 });
    assert.equal(ins.owners.unknown, 0);
    assert.deepEqual(ins.processes, [{ pid: 77, command: 'server', close_wait: 0, close_wait_not_accepted: 5, fin_wait_2: 0, close_wait_ports: [], not_accepted_ports: [7000] }]);
    const f = ins.findings.filter((x) => x.id.startsWith('close-wait'));
    assert.deepEqual(f.map((x) => x.id), ['close-wait-not-accepted']);
    assert.match(f[0]?.summary ?? '', /^pid 77 \(server\) has not accepted 5 connection\(s\) the peer already closed \(CLOSE_WAIT\) in the accept queue of its listener on port 7000\.$/);
    assert.ok(ins.findings.every((x) => !/run as root/.test(x.summary)), 'every fd was readable');
    const ids = ins.advice.map((a) => a.id);
    assert.ok(ids.includes('fix-accept-loop') && !ids.includes('fix-close-wait'), ids.join(' '));
    assert.match(ins.advice.find((a) => a.id === 'fix-accept-loop')?.action ?? '', /server \(pid 77\) accept\(\) connections on port 7000/);
  });

  it('fix-accept-loop names the process with the most queued, with its own count and ports, then the other listeners', () => {
    const list = [
      listenerOn(HOST, 7004, 5, [{ pid: 13425, command: 'python3' }]),
      listenerOn(HOST, 7006, 6, [{ pid: 13427, command: 'python3' }]),
      ...accepted(10, 7004, { local: HOST }),
      ...accepted(6, 7006, { local: HOST, firstRemotePort: 41000 }),
    ];
    const ins = inspectObservation(host(list)).analysis.inspection;
    const a = ins.advice.find((x) => x.id === 'fix-accept-loop');
    assert.match(a?.action ?? '', /^Make python3 \(pid 13425\) accept\(\) connections on port 7004 /);
    assert.match(a?.reason ?? '', /^10 connection\(s\) closed by the peer wait in its accept queue on port 7004 in CLOSE_WAIT\./);
    assert.match(a?.reason ?? '', /Other listeners have 6 more: pid 13427 \(python3\) 6 on port 7006\./);
    assert.ok(a?.commands.some((c) => c.includes(':7004')) && !a.commands.some((c) => c.includes(':7006')), JSON.stringify(a?.commands));
  });

  it('a saved /proc/net/tcp names no processes: a never-accepted CLOSE_WAIT is not "not found", nothing was looked up', () => {
    const obs = { ...host([listener(7004), ...accepted(4, 7004)]), origin: { kind: 'file' as const, path: 'tcp.txt', format: 'proc' as const }, ownersSeen: false };
    delete obs.ownerScan;
    const ins = inspectObservation(obs).analysis.inspection;
    assert.equal(ins.owners.close_wait.not_accepted_no_owner, 4);
    const f = ins.findings.find((x) => x.id === 'close-wait-not-accepted');
    assert.equal(f?.summary, '4 CLOSE_WAIT socket(s) never accepted, in the accept queue of a listener (port 7004): the dump names no processes (save it with ss -tanpe as root).');
    const text = renderInspection(ins);
    assert.match(text, /^ {2}CLOSE_WAIT never accepted, queued on a listener \(port 7004\) whose process was not looked up: 4$/m);
    assert.doesNotMatch(text, /not found/);
  });

  it("the listener a connection queued on: its own address before the wildcard, the family's wildcard (v4-mapped on ::)", () => {
    const [a, b, c] = [[{ pid: 1, command: 'exact' }], [{ pid: 2, command: 'any4' }], [{ pid: 3, command: 'any6' }]];
    const list = [
      listenerOn(HOST, 7000, 11, a),
      listenerOn('0.0.0.0', 7000, 12, b),
      listenerOn('::', 7000, 13, c),
      ...accepted(2, 7000, { local: HOST }),
      ...accepted(3, 7000, { local: '198.18.0.5', firstRemotePort: 41000 }),
      ...accepted(4, 7000, { local: '::ffff:198.18.0.1', firstRemotePort: 42000 }).map((s) => ({ ...s, family: 6 as const, remoteAddress: '::ffff:198.18.0.9' })),
    ];
    const ins = analyze(host(list)).inspection;
    assert.deepEqual(
      ins.processes.map((p) => [p.command, p.close_wait_not_accepted]),
      [
        ['any6', 4],
        ['any4', 3],
        ['exact', 2],
      ],
    );
  });

  it('a socket a parent and its forked child share counts for each process, and once among the sockets: never by subtraction', () => {
    const both = [
      { pid: 10, command: 'parent' },
      { pid: 11, command: 'child' },
    ];
    const obs = host([listener(7000), ...accepted(3, 7000, { inode: 20, owners: both }), ...accepted(5, 7000, { inode: 30, firstRemotePort: 41000 })], {}, { ownerScan: { unreadable: 2 } });
    const ins = inspectObservation(obs).analysis.inspection;
    assert.deepEqual(
      ins.processes.map((p) => [p.pid, p.close_wait]),
      [
        [10, 3],
        [11, 3],
      ],
    );
    assert.deepEqual(ins.owners.close_wait, { held: 3, not_accepted: 0, not_accepted_no_owner: 0, not_accepted_ports: [], not_visible: 5, not_looked_up: 0 });
    assert.equal(ins.owners.unknown, 5);
    const unseen = ins.findings.find((f) => f.id === 'close-wait' && !f.summary.startsWith('pid'));
    assert.equal(unseen?.summary, '5 CLOSE_WAIT socket(s) whose process could not be seen (run as root to see it).');
    assert.match(renderInspection(ins), /^ {2}CLOSE_WAIT whose process is not visible: 5$/m);
  });

  it('unprivileged: the report, the note and the findings quote one count each, naming its states', () => {
    const list = [
      listenerOn('0.0.0.0', 7000, 5), // another user's server: its process is not visible either
      ...accepted(32, 7000, { inode: 100 }).map((s, i) => ({ ...s, inode: 100 + i })),
      ...accepted(5, 7000, { firstRemotePort: 41000 }),
      ...sockets(4, 'FIN_WAIT_2', { port: 50000, inode: 200 }).map((s, i) => ({ ...s, inode: 200 + i })),
      ...sockets(7, 'FIN_WAIT_2', { port: 50010 }),
    ];
    const ins = inspectObservation(host(list, {}, { ownerScan: { unreadable: 41 } })).analysis.inspection;
    const o = ins.owners;
    assert.deepEqual(o.close_wait, { held: 0, not_accepted: 5, not_accepted_no_owner: 5, not_accepted_ports: [7000], not_visible: 32, not_looked_up: 0 });
    assert.deepEqual(o.fin_wait_2, { held: 0, orphaned: 7, not_visible: 4, not_looked_up: 0 });
    assert.equal(o.close_wait.held + o.close_wait.not_accepted + o.close_wait.not_visible + o.close_wait.not_looked_up, ins.sockets.by_state.CLOSE_WAIT);
    assert.equal(o.fin_wait_2.held + o.fin_wait_2.orphaned + o.fin_wait_2.not_visible + o.fin_wait_2.not_looked_up, ins.sockets.by_state.FIN_WAIT_2);
    const text = renderInspection(ins);
    assert.match(text, /^ {2}CLOSE_WAIT whose process is not visible: 32$/m);
    assert.match(text, /^ {2}FIN_WAIT_2 whose process is not visible: 4$/m);
    assert.match(text, /^ {2}CLOSE_WAIT never accepted, queued on a listener \(port 7000\) whose process was not found: 5$/m);
    assert.match(text, /^ {2}orphaned FIN_WAIT_2 \(closed by this host, no process\): 7$/m);
    assert.deepEqual(
      ins.notes.filter((n) => n.includes('cannot see')),
      ["32 CLOSE_WAIT and 4 FIN_WAIT_2 socket(s) held by processes this user cannot see: 41 processes' /proc/PID/fd are unreadable without root"],
    );
    assert.deepEqual(
      ins.findings.filter((f) => f.id.startsWith('close-wait')).map((f) => f.summary),
      [
        '32 CLOSE_WAIT socket(s) whose process could not be seen (run as root to see it).',
        '5 CLOSE_WAIT socket(s) never accepted, in the accept queue of a listener (port 7000) whose process could not be found: run as root to see it.',
      ],
    );
  });

  it('as root, a CLOSE_WAIT no process holds is not blamed on privileges', () => {
    const ins = inspectObservation(host([listener(7000), ...accepted(2, 7000, { inode: 50 })])).analysis.inspection;
    const f = ins.findings.find((x) => x.id === 'close-wait');
    assert.equal(f?.summary, '2 CLOSE_WAIT socket(s) that no process holds in /proc/PID/fd (a kernel socket, or its process exited while inspect looked).');
    assert.ok(!ins.notes.some((n) => n.includes('root')), ins.notes.join('\n'));
  });
});

describe('bound, not listening sockets', () => {
  it('in no state, counted apart where the source lists them, and their ports held for every destination', () => {
    const obs = host(sockets(3, 'TIME_WAIT', { port: 50000 }), {}, { boundInactiveListed: true });
    obs.sockets.boundInactive.push({ family: 4, localAddress: obs.sockets.addressId(HOST), localPort: 50050 }, { family: 4, localAddress: obs.sockets.addressId(HOST), localPort: 80 });
    const ins = analyze(obs).inspection;
    assert.equal(ins.sockets.by_state.CLOSE, 0);
    assert.equal(ins.sockets.bound_inactive, 2);
    assert.equal(ins.ports.bound_in_range, 1, 'port 50050; 80 is outside the range');
    assert.equal(ins.destinations[0]?.usable_ports, 99);
    const text = renderInspection(ins);
    assert.match(text, /^ {2}and 2 bound but neither listening nor connected \(in no state; each holds its port/m);
    assert.doesNotMatch(text, /ss -tan and \/proc\/net\/tcp leave them out/, 'ss from iproute2 6.8 lists them with -a');
    assert.ok(!ins.notes.some((n) => n.includes('bound, not listening')), ins.notes.join('\n'));
    const unlisted = analyze({ ...obs, boundInactiveListed: false }).inspection;
    assert.equal(unlisted.sockets.bound_inactive, null);
    assert.equal(unlisted.notes.filter((n) => n.startsWith('bound, not listening sockets')).length, 1, unlisted.notes.join('\n'));
  });
});

describe('destinations past the JSON list', () => {
  it('more than 1000: the rest counted in more.destinations, and the role guess counts them all', () => {
    // 1200 destinations, one TIME_WAIT each, no listener: a client.
    const list = Array.from({ length: 1200 }, (_, k) => sockets(1, 'TIME_WAIT', { port: 50000 + (k % 100), remote: `198.18.${1 + Math.floor(k / 250)}.${k % 250}` })).flat();
    const { analysis, advised } = inspectObservation(host(list));
    const ins = analysis.inspection;
    assert.equal(ins.destinations.length, 1000);
    assert.deepEqual(ins.more, { destinations: 200, processes: 0, listeners: 0 });
    assert.equal(ins.sockets.outgoing, 1200);
    assert.equal(advised.role, 'client');
  });
});

describe('sysctls only the initial namespace has', () => {
  it('tcp_max_orphans inside a namespace: host-wide and not visible there, not "(absent)"', () => {
    const ins = analyze(host([])).inspection; // host() has no tcp_max_orphans, as in a namespace
    const row = ins.sysctls.find((r) => r.name === 'net.ipv4.tcp_max_orphans');
    assert.deepEqual(row, { name: 'net.ipv4.tcp_max_orphans', value: null, default: '131072', differs: false, assumed: false, host_wide: true });
    const text = renderInspection(ins);
    assert.match(text, /^ {2}net\.ipv4\.tcp_max_orphans +host-wide: not visible in this namespace +131072$/m);
  });
});

describe('advice', () => {
  const busy = (): Observation => host([...sockets(80, 'TIME_WAIT', { port: 50000 }), ...sockets(5, 'ESTABLISHED', { port: 50080, inode: 9 })]);

  it('client near exhaustion: the finding names the destination; keep-alive, tw_reuse=1 and a wider range, with commands', () => {
    const { findings, advice, role, roleInferred } = advise(analyze(busy()));
    assert.equal(role, 'client');
    assert.equal(roleInferred, true);
    const f = findings.find((x) => x.id === 'ports-per-destination');
    assert.equal(f?.severity, 'warning');
    assert.match(f?.summary ?? '', /^198\.18\.0\.2:80 \(from 198\.18\.0\.1\): 85 of 100 usable ports in use \(85%\), 15 free; 80 in TIME_WAIT\./);
    const ids = advice.map((a) => a.id);
    for (const id of ['keep-alive', 'tw-reuse', 'port-range', 'more-destinations', 'fin-timeout-myth', 'linger-zero-myth']) assert.ok(ids.includes(id), id);
    const reuse = advice.find((a) => a.id === 'tw-reuse');
    assert.deepEqual(reuse?.commands, ['sysctl -w net.ipv4.tcp_tw_reuse=1', "echo 'net.ipv4.tcp_tw_reuse = 1' >> /etc/sysctl.d/90-twlab.conf"]);
    assert.match(reuse?.reason ?? '', /It is 2, which reuses only loopback/);
    assert.ok(findings.some((x) => x.id === 'tw-reuse-loopback-only'));
    assert.ok(findings.some((x) => x.id === 'tw-recycle-gone'));
  });

  it('server: TIME_WAIT on accepted connections is cheap; no port advice', () => {
    const list = [listener(80), ...sockets(50, 'TIME_WAIT', { port: 80, remote: '198.18.0.9' }).map((s, i) => ({ ...s, localPort: 80, remotePort: 40000 + i }))];
    const { findings, advice, role } = advise(analyze(host(list)));
    assert.equal(role, 'server');
    assert.ok(findings.some((f) => f.id === 'server-time-wait'));
    const ids = advice.map((a) => a.id);
    assert.ok(ids.includes('let-clients-close'));
    assert.ok(!ids.includes('tw-reuse') && !ids.includes('port-range'));
  });

  it('--role proxy adds IP_BIND_ADDRESS_NO_PORT', () => {
    assert.ok(advise(analyze(busy()), { role: 'proxy' }).advice.some((a) => a.id === 'bind-no-port'));
  });

  it('4.4 with tcp_tw_recycle on and clients behind NAT: critical, and the fix', () => {
    const obs = host([listener(80)], { 'net.ipv4.tcp_tw_recycle': '1', 'net.ipv4.tcp_tw_reuse': '0' }, { origin: { kind: 'host', kernelRelease: '4.4.178' } });
    const m = new Map(obs.sysctlText);
    m.delete('net.ipv4.tcp_tw_reuse_delay');
    const { findings, advice } = advise(analyze({ ...obs, sysctlText: m }), { role: 'server', behindNat: true });
    assert.equal(findings[0]?.id, 'tw-recycle-on');
    assert.equal(findings[0]?.severity, 'critical');
    assert.deepEqual(advice.find((a) => a.id === 'tw-recycle-off')?.commands[0], 'sysctl -w net.ipv4.tcp_tw_recycle=0');
    assert.ok(advice.some((a) => a.id === 'nat'));
  });

  it('near tcp_max_tw_buckets, or after overflows: raise it', () => {
    const obs = host(sockets(90, 'TIME_WAIT', { port: 50000 }), { 'net.ipv4.tcp_max_tw_buckets': '100' }, { counters: { TcpExtTCPTimeWaitOverflow: 7 } });
    const { findings, advice } = advise(analyze(obs));
    assert.match(findings.find((f) => f.id === 'tw-buckets')?.summary ?? '', /90 timewait sockets against tcp_max_tw_buckets = 100; TcpExtTCPTimeWaitOverflow = 7/);
    assert.equal(advice.find((a) => a.id === 'max-tw-buckets')?.commands[0], 'sysctl -w net.ipv4.tcp_max_tw_buckets=200');
  });

  it('a dump: sysctls are assumed defaults and the advice says so', () => {
    const obs = { ...busy(), origin: { kind: 'file' as const, path: 'x.txt', format: 'ss' as const } };
    delete obs.sysctlText;
    const { inspection } = inspectObservation(obs).analysis;
    assert.ok(inspection.sysctls.every((r) => r.assumed));
    assert.equal(inspection.kernel.tw_recycle_exists, null);
    assert.match(inspection.advice.find((a) => a.id === 'port-range')?.reason ?? '', /32768-60999, 28,232 ports, an assumed default/);
  });

  it('renders without throwing, and the advise view holds only findings and advice', () => {
    const { analysis, advised } = inspectObservation(busy());
    const text = renderInspection(analysis.inspection);
    assert.match(text, /^Ephemeral ports per destination \(range 50000-50099: 100 ports/m);
    assert.match(text, /^ {2}198\.18\.0\.2:80 +198\.18\.0\.1 +85 +80 +15 +85%/m);
    const only = renderAdvised(analysis.inspection, advised);
    assert.match(only, /role client \(inferred/);
    assert.doesNotMatch(only, /Sockets by state/);
    assert.ok(text.split('\n').every((l) => l.length <= 140), 'lines stay readable');
  });
});

describe('--watch rates', () => {
  it('counter deltas over the interval; a counter that went down gives 0', () => {
    const r = counterRates({ TcpExtTW: 100, TcpActiveOpens: 10 }, { TcpExtTW: 400, TcpActiveOpens: 5, TcpPassiveOpens: 4 }, 2);
    assert.deepEqual(r, { interval_s: 2, new_time_wait_per_s: 150, active_opens_per_s: 0, passive_opens_per_s: 2, tw_recycled_per_s: 0, tw_overflow_per_s: 0 });
    assert.equal(counterRates(undefined, {}, 1), undefined);
    assert.equal(counterRates({}, {}, 0), undefined);
  });
});

/** The listeners' accept queues as the source reports them: port -> [queued, backlog] (backlog null: /proc, netstat). */
function withQueues(obs: Observation, byPort: Record<number, [number, number | null]>): Observation {
  const t = obs.sockets;
  for (const i of t.rowsIn('LISTEN')) {
    const q = byPort[t.localPort[i] as number];
    if (q) t.listenQueues.set(i, { queued: q[0], backlog: q[1] });
  }
  return obs;
}

describe('listeners: the accept queue against the backlog (ss -ltn Recv-Q / Send-Q)', () => {
  const server = [{ pid: 77, command: 'server' }];
  const four = (): Observation =>
    withQueues(host([listenerOn('0.0.0.0', 80, 3), listenerOn('0.0.0.0', 7000, 5, server), listenerOn('::', 8080, 6), listenerOn(HOST, 9000, 7)]), {
      80: [10, 128],
      7000: [128, 128],
      8080: [0, 4096],
      9000: [116, 128],
    });

  it('every listener, fullest first, with its owners when known; the totals are over all of them', () => {
    const ins = analyze(four()).inspection;
    assert.deepEqual(
      ins.listeners.map((l) => [l.listener, l.queued, l.backlog, l.fill, l.owners]),
      [
        ['0.0.0.0:7000', 128, 128, 1, server],
        ['198.18.0.1:9000', 116, 128, 0.9063, null],
        ['0.0.0.0:80', 10, 128, 0.0781, null],
        ['[::]:8080', 0, 4096, 0, null],
      ],
    );
    assert.deepEqual(ins.listen_queues, { listeners: 4, queued: 254, max_fill: 1 });
    assert.equal(ins.more.listeners, 0);
  });

  it('at the backlog is critical, one from full (sock.h sk_acceptq_is_full: queue > backlog); 90% a warning, with ListenOverflows and ListenDrops; below 90% nothing', () => {
    const obs = { ...four(), counters: { TcpExtListenOverflows: 12, TcpExtListenDrops: 14 } };
    const ins = inspectObservation(obs).analysis.inspection;
    const f = ins.findings.filter((x) => x.id === 'listen-queue-full');
    assert.deepEqual(
      f.map((x) => [x.severity, x.summary]),
      [
        ['critical', 'Listener 0.0.0.0:7000 (pid 77 server): accept queue 128 of 128 (100%), at its backlog, one connection from full; TcpExtListenOverflows = 12, TcpExtListenDrops = 14 since boot.'],
        ['warning', 'Listener 198.18.0.1:9000: accept queue 116 of 128 (91%), nearly full; TcpExtListenOverflows = 12, TcpExtListenDrops = 14 since boot.'],
      ],
    );
    assert.match(f[0]?.detail ?? '', /capped at net\.core\.somaxconn \(4,096\)\.$/);
    // No never-accepted CLOSE_WAIT there: the advice is to accept faster, for the fullest.
    const a = ins.advice.find((x) => x.id === 'accept-faster');
    assert.match(a?.action ?? '', /^Make server \(pid 77\) accept\(\) connections on 0\.0\.0\.0:7000 faster/);
    assert.match(a?.reason ?? '', /^Its queue 128 of 128 \(and 1 more listener\(s\) at 90% or more\)/);
  });

  it('a backlog at net.core.somaxconn: raising listen()\'s alone does not help', () => {
    const obs = withQueues(host([listenerOn('0.0.0.0', 80, 3)], { 'net.core.somaxconn': '128' }), { 80: [129, 128] });
    const f = inspectObservation(obs).analysis.inspection.findings.find((x) => x.id === 'listen-queue-full');
    assert.match(f?.summary ?? '', /accept queue 129 of 128 \(101%\), full\.$/);
    assert.match(f?.detail ?? '', /capped at net\.core\.somaxconn \(128\): it is at that cap, so a larger one needs net\.core\.somaxconn raised too\./);
  });

  it('fix-accept-loop quotes the queue of the listener whose CLOSE_WAIT was never accepted ("queue 128 of 128"), and no second advice', () => {
    const obs = { ...withQueues(host([listenerOn('0.0.0.0', 7000, 5, server), ...accepted(5, 7000)]), { 7000: [128, 128] }), counters: { TcpExtListenOverflows: 3 } };
    const ins = inspectObservation(obs).analysis.inspection;
    const a = ins.advice.find((x) => x.id === 'fix-accept-loop');
    assert.match(a?.reason ?? '', /The listener 0\.0\.0\.0:7000 is at queue 128 of 128, at its backlog, one connection from full \(TcpExtListenOverflows = 3 since boot\)\./);
    assert.ok(!ins.advice.some((x) => x.id === 'accept-faster'), ins.advice.map((x) => x.id).join(' '));
    // Below 90% the accept-loop advice says nothing of the queue.
    const low = inspectObservation(withQueues(host([listenerOn('0.0.0.0', 7000, 5, server), ...accepted(5, 7000)]), { 7000: [5, 128] })).analysis.inspection;
    assert.doesNotMatch(low.advice.find((x) => x.id === 'fix-accept-loop')?.reason ?? '', /is at queue/);
  });

  it('more than 1000 listeners: the fullest 1000 listed, the rest counted in more.listeners and in the totals', () => {
    const list = Array.from({ length: 1200 }, (_, i) => listenerOn('0.0.0.0', 20000 + i, 100 + i));
    const obs = withQueues(host(list), Object.fromEntries(list.map((l, i) => [l.localPort, [i % 7, 128]])));
    const ins = analyze(obs).inspection;
    assert.equal(ins.listeners.length, 1000);
    assert.equal(ins.more.listeners, 200);
    assert.equal(ins.listeners[0]?.queued, 6);
    assert.equal(ins.listen_queues.listeners, 1200);
    assert.equal(ins.listen_queues.queued, list.reduce((sum, _, i) => sum + (i % 7), 0));
  });

  it('no backlog (/proc/net/tcp, netstat): listed with its queue, never judged full', () => {
    const ins = inspectObservation(withQueues(host([listenerOn('0.0.0.0', 80, 3)]), { 80: [500, null] })).analysis.inspection;
    assert.deepEqual(ins.listeners.map((l) => [l.queued, l.backlog, l.fill]), [[500, null, null]]);
    assert.deepEqual(ins.listen_queues, { listeners: 1, queued: 500, max_fill: null });
    assert.ok(!ins.findings.some((f) => f.id === 'listen-queue-full'));
  });

  it('the report lists only listeners with a queue; with none, one line', () => {
    const text = renderInspection(inspectObservation(four()).analysis.inspection);
    assert.match(text, /^Listeners with connections waiting for accept\(\) \(3 of 4; backlog capped at net\.core\.somaxconn\)$/m);
    assert.match(text, /^ {2}0\.0\.0\.0:7000 +77 server +128 +128 +100%$/m);
    assert.doesNotMatch(text, /\[::\]:8080/);
    const idle = renderInspection(analyze(withQueues(host([listenerOn('0.0.0.0', 80, 3)]), { 80: [0, 4096] })).inspection);
    assert.match(idle, /^Listeners: 1, none with connections waiting for accept\(\)$/m);
    assert.doesNotMatch(renderInspection(analyze(host([listenerOn('0.0.0.0', 80, 3)])).inspection), /^Listeners/m);
  });
});
