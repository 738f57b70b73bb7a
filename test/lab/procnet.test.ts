// /proc parsers against text captured from a 6.18.44 kernel in two namespaces (fixtures/):
// a client with 4 orphaned FIN_WAIT_2 timewait sockets, 1 TIME_WAIT and 1 ESTABLISHED,
// and a server with its listener, 4 CLOSE_WAIT and 1 ESTABLISHED.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { census, mibDelta, parseConntrack, parseConntrackStat, parseMibTables, parseProcTcp, portRemapped, procAddress } from '../../src/lab/procnet.js';
import { repoRoot } from '../cli-helpers.js';

const fixture = (name: string): string => readFileSync(join(repoRoot(), 'test/lab/fixtures', name), 'utf8');

describe('/proc/net/tcp', () => {
  it('addresses print as the little-endian value of the network-order word', () => {
    assert.equal(procAddress('010012C6'), '198.18.0.1');
    assert.equal(procAddress('0100007F'), '127.0.0.1');
  });

  it('client: FIN_WAIT_2 timewait sockets (tr 3), a TIME_WAIT, an ESTABLISHED', () => {
    const sockets = parseProcTcp(fixture('client-tcp.txt'));
    assert.equal(sockets.length, 6);
    assert.deepEqual(sockets[0], { localAddress: '198.18.0.1', localPort: 60520, remoteAddress: '198.18.0.2', remotePort: 9000, state: 'FIN_WAIT_2', timer: 3 });
    const c = census(sockets);
    assert.equal(c.states.FIN_WAIT_2, 4);
    assert.equal(c.states.TIME_WAIT, 1);
    assert.equal(c.states.ESTABLISHED, 1);
    assert.equal(c.timewait, 5, 'every timewait socket, both substates');
    assert.equal(c.localPorts, 6);
  });

  it('server: the listener and CLOSE_WAIT sockets share one local port', () => {
    const c = census(parseProcTcp(fixture('server-tcp.txt')));
    assert.equal(c.states.LISTEN, 1);
    assert.equal(c.states.CLOSE_WAIT, 4);
    assert.equal(c.timewait, 0);
    assert.equal(c.localPorts, 1);
  });
});

describe('/proc/net/snmp and /proc/net/netstat', () => {
  it('read under nstat names', () => {
    const m = parseMibTables(fixture('client-snmp.txt'));
    assert.equal(m.get('TcpActiveOpens'), 6);
    assert.equal(m.get('TcpMaxConn'), -1);
    const ext = parseMibTables(fixture('client-netstat.txt'));
    assert.equal(ext.get('TcpExtTW'), 5, 'one per timewait socket scheduled for more than 4 s');
    assert.ok(ext.has('TcpExtTCPTimeWaitOverflow'));
    assert.ok(ext.has('IpExtInOctets'));
  });

  it('deltas of TCP counters only, gauges left out', () => {
    const before = new Map([['TcpActiveOpens', 2], ['TcpCurrEstab', 5], ['IpInReceives', 1]]);
    const after = new Map([['TcpActiveOpens', 10], ['TcpCurrEstab', 1], ['IpInReceives', 9], ['TcpExtTW', 4]]);
    assert.deepEqual([...mibDelta(before, after)], [['TcpActiveOpens', 8], ['TcpExtTW', 4]]);
  });
});

describe('conntrack', () => {
  it('/proc/net/nf_conntrack: a masqueraded connection whose source port was rewritten', () => {
    const line =
      'ipv4     2 tcp      6 117 TIME_WAIT src=198.18.1.2 dst=198.18.0.2 sport=50004 dport=80 src=198.18.0.2 dst=198.18.0.254 sport=80 dport=42311 [ASSURED] mark=0 zone=0 use=2';
    const [e] = parseConntrack(line);
    assert.equal(e?.state, 'TIME_WAIT');
    assert.deepEqual(e?.orig, { src: '198.18.1.2', dst: '198.18.0.2', sport: 50004, dport: 80 });
    assert.equal(portRemapped(e!), true);
  });

  it('/proc/net/stat/nf_conntrack: hex columns summed over CPUs, entries taken once', () => {
    const text = 'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop\n00000014  00000000 00000000 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000002\n00000014  00000000 00000000 00000000 00000002 00000000 00000000 00000000 00000000 00000000 00000001\n';
    const s = parseConntrackStat(text);
    assert.equal(s.get('entries'), 20);
    assert.equal(s.get('invalid'), 3);
    assert.equal(s.get('drop'), 3);
  });
});
