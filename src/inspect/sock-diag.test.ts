// The netlink sock_diag reader on replies captured from a real 6.18 namespace
// (test/fixtures/inspect/capture.sh, beside the --from fixtures): the same sockets as the
// /proc/net/tcp{,6} captured with them, addresses as ss prints them; then messages cut
// short, mislabelled or garbled are skipped and counted, never fatal; and the kernel's
// refusals come back as errors.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../paths.js';
import { parseProcTcp } from './proc-tcp.js';
import { AF_INET, AF_INET6, bothFamiliesRequest, familyRequest, SockDiagReader, SOCK_DIAG_BY_FAMILY, TCPDIAG_GETSOCK, type DumpStatus } from './sock-diag.js';
import { STATE_INDEX, type SocketRecord } from './socket.js';

const FIXTURES = join(repoRoot(), 'test/fixtures/inspect');
/** Plain Uint8Arrays, whose slice() copies (a Buffer's shares its bytes). */
const INET = new Uint8Array(readFileSync(join(FIXTURES, 'sock-diag-inet.bin')));
const INET6 = new Uint8Array(readFileSync(join(FIXTURES, 'sock-diag-inet6.bin')));
/** The TCPDIAG_GETSOCK dump of both families, captured with them. */
const BOTH = new Uint8Array(readFileSync(join(FIXTURES, 'sock-diag-both.bin')));

/** The fixtures are little-endian (x86-64); the reader is told so, as netlink.ts tells it the host's order. */
function read(...replies: Uint8Array[]): { reader: SockDiagReader; status: DumpStatus[] } {
  const reader = new SockDiagReader(true);
  return { reader, status: replies.map((r) => reader.feed(r)) };
}

/** A record as one comparable line. */
const line = (s: SocketRecord): string => `${s.family} ${s.state} ${s.localAddress}:${s.localPort} ${s.remoteAddress}:${s.remotePort} ${s.inode}`;

/** The messages of a reply: [offset, nlmsg_len]. */
function messages(reply: Uint8Array): [number, number][] {
  const v = new DataView(reply.buffer, reply.byteOffset, reply.length);
  const out: [number, number][] = [];
  for (let off = 0; off < reply.length; off += (v.getUint32(off, true) + 3) & ~3) out.push([off, v.getUint32(off, true)]);
  return out;
}

/** A netlink message: header (type, flags 0, seq 1) and body. */
function message(type: number, body: Uint8Array): Uint8Array {
  const m = new Uint8Array(16 + body.length);
  const v = new DataView(m.buffer);
  v.setUint32(0, m.length, true);
  v.setUint16(4, type, true);
  v.setUint32(8, 1, true);
  m.set(body, 16);
  return m;
}

function int32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
}

const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
/** The first socket message of the IPv4 reply, and the reply's closing NLMSG_DONE. */
const [firstOff, firstLen] = messages(INET)[0] as [number, number];
const FIRST = INET.subarray(firstOff, firstOff + firstLen);
const DONE = message(3, int32(0));

describe('sock_diag replies captured on a real namespace', () => {
  it('each family ends with NLMSG_DONE; nothing is skipped', () => {
    const { reader, status } = read(INET, INET6);
    assert.deepEqual(status, [{ kind: 'done' }, { kind: 'done' }]);
    assert.equal(reader.skipped.count, 0, JSON.stringify(reader.skipped.examples));
  });

  it('the same sockets as /proc/net/tcp and tcp6 captured beside them: per family, and both in one dump', () => {
    const proc = parseProcTcp(readFileSync(join(FIXTURES, 'proc-net-tcp.txt'), 'latin1') + readFileSync(join(FIXTURES, 'proc-net-tcp6.txt'), 'latin1'));
    assert.equal(proc.skipped, 0);
    const want = proc.sockets.records().map(line).sort();
    assert.deepEqual(read(INET, INET6).reader.sockets.records().map(line).sort(), want);
    const both = read(BOTH);
    assert.deepEqual(both.status, [{ kind: 'done' }]);
    assert.equal(both.reader.skipped.count, 0);
    assert.deepEqual(both.reader.sockets.records().map(line).sort(), want);
  });

  it('IPv6 addresses as ss prints them: ::1, :: and v4-mapped', () => {
    const { reader } = read(INET6);
    assert.ok(reader.sockets.records().every((s) => s.family === 6));
    assert.deepEqual([...new Set(reader.sockets.records().map((s) => s.localAddress))].sort(), ['::', '::1', '::ffff:198.18.0.1']);
  });

  it('TIME_WAIT per destination, and inodes: 0 for timewait sockets, set for CLOSE_WAIT', () => {
    const { reader } = read(INET, INET6);
    const per = new Map<string, number>();
    for (const s of reader.sockets.records().filter((x) => x.state === 'TIME_WAIT')) {
      assert.equal(s.inode, 0);
      per.set(`${s.remoteAddress}:${s.remotePort}`, (per.get(`${s.remoteAddress}:${s.remotePort}`) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(per), { '198.18.0.2:80': 20, '198.18.0.3:80': 10, '::1:7002': 3 });
    assert.ok(reader.sockets.records().filter((s) => s.state === 'CLOSE_WAIT').every((s) => s.inode > 0));
  });

  it('a reply split anywhere between messages reads the same as whole', () => {
    const cut = (messages(INET)[10] as [number, number])[0];
    const { reader, status } = read(INET.subarray(0, cut), INET.subarray(cut));
    assert.deepEqual(status, [{ kind: 'more' }, { kind: 'done' }]);
    assert.deepEqual(reader.sockets.records().map(line), read(INET).reader.sockets.records().map(line));
  });
});

describe('listeners: idiag_rqueue and idiag_wqueue are the accept queue and the backlog (tcp_diag.c tcp_diag_get_info)', () => {
  /** The first LISTEN message of a reply, with its queues set to QUEUED and BACKLOG. */
  const listenerWith = (reply: Uint8Array, queued: number, backlog: number): Uint8Array => {
    const [off, len] = messages(reply).find(([o]) => reply[o + 17] === 10) as [number, number]; // TCP_LISTEN
    const m = reply.slice(off, off + len);
    const v = new DataView(m.buffer);
    v.setUint32(16 + 56, queued, true);
    v.setUint32(16 + 60, backlog, true);
    return m;
  };

  it('captured: each listener with its backlog (4096) and an empty queue; no other row has one', () => {
    const { sockets } = read(INET, INET6).reader;
    assert.equal(sockets.listenQueues.size, sockets.rowsIn('LISTEN').length);
    assert.deepEqual([...sockets.listenQueues.values()], Array(3).fill({ queued: 0, backlog: 4096 }));
  });

  it('the queues are read from the message, for IPv4 (the inline path) and IPv6', () => {
    for (const reply of [INET, INET6]) {
      const { sockets } = read(concat(listenerWith(reply, 129, 128), DONE)).reader;
      assert.deepEqual([...sockets.listenQueues.entries()], [[0, { queued: 129, backlog: 128 }]]);
    }
  });
});

describe('bound, not listening sockets (TCP_BOUND_INACTIVE, reported in TCP_CLOSE)', () => {
  it('are kept apart with their port, in no state count, as ss -tan and /proc/net/tcp leave them out', () => {
    const bound = FIRST.slice();
    bound[17] = 7; // TCP_CLOSE: what tcp_diag_dump's bind-hash walk reports
    const [v6Off, v6Len] = messages(INET6)[0] as [number, number];
    const v6Socket = read(INET6.subarray(v6Off, v6Off + v6Len)).reader.sockets.record(0);
    const v6 = INET6.slice(v6Off, v6Off + v6Len);
    v6[17] = 7;
    const { reader, status } = read(concat(bound, FIRST, v6, DONE));
    assert.deepEqual(status, [{ kind: 'done' }]);
    assert.equal(reader.skipped.count, 0);
    assert.equal(reader.sockets.length, 1, 'only the unchanged socket is a row');
    assert.equal(reader.sockets.ipv4[STATE_INDEX.CLOSE], 0, 'CLOSE counts nothing');
    assert.equal(reader.sockets.ipv6[STATE_INDEX.CLOSE], 0);
    const v4Socket = reader.sockets.record(0);
    assert.deepEqual(
      reader.sockets.boundInactive.map((b) => [b.family, reader.sockets.addresses[b.localAddress], b.localPort]),
      [
        [4, v4Socket.localAddress, v4Socket.localPort],
        [6, v6Socket.localAddress, v6Socket.localPort],
      ],
    );
  });
});

describe('sock_diag replies that cannot be read: skipped and counted', () => {
  it('an inet_diag_msg cut short: that message is skipped, the next one read', () => {
    const short = FIRST.slice(0, 16 + 40);
    new DataView(short.buffer).setUint32(0, short.length, true);
    const { reader, status } = read(concat(short, FIRST, DONE));
    assert.deepEqual(status, [{ kind: 'done' }]);
    assert.equal(reader.sockets.length, 1);
    assert.equal(reader.skipped.count, 1);
    assert.match(reader.skipped.examples[0]?.reason ?? '', /inet_diag_msg of 40 bytes, expected 72/);
    assert.equal(reader.skipped.examples[0]?.line, 1);
    assert.match(reader.skipped.examples[0]?.text ?? '', /^38 00 00 00 14 00 /);
  });

  it('a datagram cut inside a message: the rest of it is skipped, once', () => {
    const { reader, status } = read(concat(FIRST, FIRST.subarray(0, 50)));
    assert.deepEqual(status, [{ kind: 'more' }]);
    assert.equal(reader.sockets.length, 1);
    assert.equal(reader.skipped.count, 1);
    assert.match(reader.skipped.examples[0]?.reason ?? '', /does not fit/);
  });

  it('a length below the header, or a header cut short, ends the datagram without looping', () => {
    const zero = FIRST.slice();
    new DataView(zero.buffer).setUint32(0, 0, true);
    assert.equal(read(concat(zero, FIRST)).reader.skipped.count, 1);
    const { reader } = read(concat(FIRST, FIRST.subarray(0, 7)));
    assert.equal(reader.sockets.length, 1);
    assert.match(reader.skipped.examples[0]?.reason ?? '', /truncated netlink header/);
  });

  it('an unknown family, state or message type is skipped', () => {
    const family = FIRST.slice();
    family[16] = 7;
    const state = FIRST.slice();
    state[17] = 0;
    const type = FIRST.slice();
    new DataView(type.buffer).setUint16(4, 99, true);
    const { reader, status } = read(concat(family, state, type, FIRST, DONE));
    assert.deepEqual(status, [{ kind: 'done' }]);
    assert.equal(reader.sockets.length, 1);
    assert.deepEqual(
      reader.skipped.examples.map((e) => [e.line, e.reason]),
      [
        [1, 'address family 7'],
        [2, 'unknown state code 0'],
        [3, 'unexpected netlink message type 99'],
      ],
    );
  });

  it('survives any byte changed or any cut (seeded fuzz)', () => {
    let seed = 2024;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 500; i++) {
      const bytes = INET.slice(0, rand(INET.length + 1));
      for (let k = rand(8); k > 0 && bytes.length > 0; k--) bytes[rand(bytes.length)] = rand(256);
      const reader = new SockDiagReader(true);
      const status = reader.feed(bytes);
      assert.ok(['more', 'done', 'error'].includes(status.kind));
      assert.ok(reader.sockets.records().every((s) => s.localPort >= 0 && s.localPort < 65536 && (s.family === 4 || s.family === 6)));
    }
  });
});

describe("the kernel's answers besides sockets", () => {
  it('NLMSG_ERROR with -EPERM is the dump refused; an ACK (error 0) is not', () => {
    assert.deepEqual(read(message(2, int32(-1))).status, [{ kind: 'error', errno: 1 }]);
    assert.deepEqual(read(concat(message(2, int32(0)), FIRST, DONE)).status, [{ kind: 'done' }]);
  });

  it('NLMSG_DONE carrying a negative errno is a failed dump', () => {
    assert.deepEqual(read(message(3, int32(-22))).status, [{ kind: 'error', errno: 22 }]);
  });

  /** A dump request's nlmsghdr: its length, the type, NLM_F_REQUEST | NLM_F_DUMP, seq 7; the body's DataView. */
  const requestHeader = (b: Uint8Array, type: number, bodyLength: number): DataView => {
    const v = new DataView(b.buffer);
    assert.equal(b.length, 16 + bodyLength);
    assert.equal(v.getUint32(0, true), b.length);
    assert.equal(v.getUint16(4, true), type);
    assert.equal(v.getUint16(6, true), 0x301, 'NLM_F_REQUEST | NLM_F_DUMP');
    assert.equal(v.getUint32(8, true), 7);
    return v;
  };

  it('the request for both families: nlmsghdr + inet_diag_req, every state, a dump', () => {
    const b = bothFamiliesRequest(7, true);
    const v = requestHeader(b, TCPDIAG_GETSOCK, 60);
    assert.deepEqual([b[16], b[17], b[18], b[19]], [0, 0, 0, 0], 'AF_UNSPEC, no address lengths, no extensions');
    assert.ok(b.subarray(20, 68).every((x) => x === 0), 'no socket id: every socket');
    assert.equal(v.getUint32(68, true), 0xffffffff, 'idiag_states');
    assert.equal(v.getUint32(72, true), 0, 'idiag_dbs');
  });

  it('the request for one family: nlmsghdr + inet_diag_req_v2, TCP, every state, a dump', () => {
    for (const family of [AF_INET, AF_INET6] as const) {
      const b = familyRequest(family, 7, true);
      const v = requestHeader(b, SOCK_DIAG_BY_FAMILY, 56);
      assert.deepEqual([b[16], b[17], b[18], b[19]], [family, 6, 0, 0]);
      assert.equal(v.getUint32(20, true), 0xffffffff);
      assert.ok(b.subarray(24).every((x) => x === 0), 'no socket id: every socket');
    }
  });
});
