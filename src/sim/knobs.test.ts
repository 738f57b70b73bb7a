// The TIME_WAIT knobs at scenario level, against what Linux 6.18 did when measured in
// network namespaces (../shared/spec/linux-tcp-behaviour.md "Observed on 6.18").

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../scenario/load.js';
import { simulate } from './run.js';
import type { Result } from './result.js';

/** One client, one server, a 500-port range; `client` and `sysctl` fill in the rest. */
function scenario(opts: { client: string; sysctl?: string; serverSysctl?: string; duration?: string; server?: string }): Result {
  const text = `
name: knob
duration: ${opts.duration ?? '5s'}
hosts:
  client:
    address: 198.18.0.1
    sysctl: { net.ipv4.ip_local_port_range: "40000 40499"${opts.sysctl ? `, ${opts.sysctl}` : ''} }
  server: { address: 198.18.0.2${opts.serverSysctl ? `, sysctl: { ${opts.serverSysctl} }` : ''} }
servers:
  - { host: server, port: 80, ${opts.server ?? 'close: after-peer'} }
clients:
  - { host: client, target: server:80, ${opts.client} }
`;
  return simulate(parseScenario(text, 'knobs.test'));
}

describe('tcp_tw_reuse (tcp_ipv4.c tcp_twsk_unique)', () => {
  it('off (0): a 500-port range gives exactly 500 connects to one destination', () => {
    const r = scenario({ client: 'count: 700, rate: serial', sysctl: 'net.ipv4.tcp_tw_reuse: 0' });
    assert.equal(r.clients[0]!.connected, 500);
    assert.equal(r.clients[0]!.errors.EADDRNOTAVAIL, 200);
  });

  it('and another 500 to a second destination: exhaustion is per destination', () => {
    const text = `
name: two-destinations
duration: 2s
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.ip_local_port_range: "40000 40499", net.ipv4.tcp_tw_reuse: 0 } }
  server: { address: 198.18.0.2 }
servers:
  - { host: server, port: 80 }
  - { host: server, port: 81 }
clients:
  - { host: client, target: server:80, count: 600, rate: serial }
  - { host: client, target: server:81, count: 600, rate: serial }
`;
    const r = simulate(parseScenario(text, 'knobs.test'));
    assert.equal(r.clients[0]!.connected, 500);
    assert.equal(r.clients[1]!.connected, 500);
    assert.equal(r.hosts.client!.states_end.TIME_WAIT, 1000);
  });

  it('on (1): a burst of 700 gets 500, since a TIME_WAIT is reusable only after tcp_tw_reuse_delay (1 s)', () => {
    const r = scenario({ client: 'count: 700, rate: serial', sysctl: 'net.ipv4.tcp_tw_reuse: 1' });
    assert.equal(r.clients[0]!.connected, 500);
    assert.equal(r.hosts.client!.mib.TcpExtTWRecycled, 0);
  });

  it('on (1): 400 conn/s for 3 s all succeed, reusing TIME_WAITs (TcpExtTWRecycled)', () => {
    const r = scenario({ client: 'count: 1200, rate: 400/s', sysctl: 'net.ipv4.tcp_tw_reuse: 1' });
    assert.equal(r.clients[0]!.connected, 1200);
    assert.equal(r.clients[0]!.errors.EADDRNOTAVAIL, 0);
    // At least the 700 beyond the range; a few more where the scan meets a reusable
    // TIME_WAIT before a never-used port.
    assert.ok(r.hosts.client!.mib.TcpExtTWRecycled! >= 700);
  });

  it('on (1): 1000 conn/s for 3 s is held to about 500/s (ports / reuse delay)', () => {
    const r = scenario({ client: 'count: 3000, rate: 1000/s', sysctl: 'net.ipv4.tcp_tw_reuse: 1', duration: '3s' });
    const ok = r.clients[0]!.connected;
    assert.ok(ok >= 1400 && ok <= 1600, `connected ${ok}`);
  });

  it('tcp_tw_reuse_delay 100 ms lets the same burst reuse sooner (6.14+)', () => {
    const r = scenario({ client: 'count: 1500, rate: 1000/s', sysctl: 'net.ipv4.tcp_tw_reuse: 1, net.ipv4.tcp_tw_reuse_delay: 100', duration: '3s' });
    assert.equal(r.clients[0]!.connected, 1500);
  });

  it('2 (the default) is loopback only: no reuse over a real link', () => {
    const r = scenario({ client: 'count: 1200, rate: 400/s', sysctl: 'net.ipv4.tcp_tw_reuse: 2' });
    assert.equal(r.clients[0]!.connected, 500);
    assert.equal(r.hosts.client!.mib.TcpExtTWRecycled, 0);
  });

  it('1 without timestamps: no reuse (the TIME_WAIT never saw a timestamp from the peer)', () => {
    const r = scenario({ client: 'count: 1200, rate: 400/s', sysctl: 'net.ipv4.tcp_tw_reuse: 1, net.ipv4.tcp_timestamps: 0' });
    assert.equal(r.clients[0]!.connected, 500);
  });

  it('1 with a peer that has timestamps off: no reuse either', () => {
    const r = scenario({ client: 'count: 1200, rate: 400/s', sysctl: 'net.ipv4.tcp_tw_reuse: 1', serverSysctl: 'net.ipv4.tcp_timestamps: 0' });
    assert.equal(r.clients[0]!.connected, 500);
  });
});

describe('SO_LINGER 0 (tcp.c __tcp_close, tcp_disconnect)', () => {
  it('700 linger-0 closes leave no TIME_WAIT on either side and count 700 TcpExtTCPAbortOnData', () => {
    const r = scenario({ client: 'count: 700, rate: serial, linger: 0', server: 'close: never' });
    assert.equal(r.clients[0]!.connected, 700);
    assert.equal(r.hosts.client!.states_end.TIME_WAIT ?? 0, 0);
    assert.equal(r.hosts.server!.states_end.TIME_WAIT ?? 0, 0);
    assert.equal(r.hosts.client!.mib.TcpExtTCPAbortOnData, 700);
    assert.equal(r.hosts.server!.states_end.CLOSE_WAIT ?? 0, 0, 'the RST also ends the server side');
  });
});

describe('tcp_max_tw_buckets (inet_timewait_sock.c inet_twsk_alloc)', () => {
  it('at the limit a closing socket skips TIME_WAIT, its port is free at once; TcpExtTCPTimeWaitOverflow counts it', () => {
    const r = scenario({ client: 'count: 700, rate: serial', sysctl: 'net.ipv4.tcp_tw_reuse: 0, net.ipv4.tcp_max_tw_buckets: 100' });
    assert.equal(r.hosts.client!.states_end.TIME_WAIT, 100);
    assert.equal(r.hosts.client!.mib.TcpExtTCPTimeWaitOverflow, 600);
    assert.equal(r.clients[0]!.connected, 700, 'ports never run out');
  });
});

describe('bind() before connect()', () => {
  it('serial connects from one bound port: the next finds the last still closing (FIN_WAIT_1) -> EADDRNOTAVAIL', () => {
    const r = scenario({ client: 'count: 3, rate: serial, bind: "198.18.0.1:40100", reuseaddr: true', sysctl: 'net.ipv4.tcp_tw_reuse: 0' });
    assert.equal(r.clients[0]!.connected, 1);
    assert.equal(r.clients[0]!.errors.EADDRNOTAVAIL, 2);
  });

  it('a bound port reuses its own TIME_WAIT when it saw timestamps, whatever tcp_tw_reuse says (twp == NULL)', () => {
    const r = scenario({ client: 'count: 3, rate: 1/s, bind: "198.18.0.1:40100", reuseaddr: true', sysctl: 'net.ipv4.tcp_tw_reuse: 0' });
    // With timestamps, connect() from a bound port reuses its own TIME_WAIT whatever tcp_tw_reuse says.
    assert.equal(r.clients[0]!.connected, 3);
    assert.equal(r.hosts.client!.mib.TcpExtTWRecycled, 2);
  });

  it('without timestamps the bound port stays blocked by its TIME_WAIT (EADDRNOTAVAIL)', () => {
    const r = scenario({ client: 'count: 3, rate: 1/s, bind: "198.18.0.1:40100", reuseaddr: true', sysctl: 'net.ipv4.tcp_timestamps: 0' });
    assert.equal(r.clients[0]!.connected, 1);
    assert.equal(r.clients[0]!.errors.EADDRNOTAVAIL, 2);
  });
});

describe('tcp_fin_timeout (tcp.c tcp_fin_time)', () => {
  it('orphaned FIN_WAIT_2 lasts tcp_fin_timeout when the server never closes', () => {
    const text = (fin: number): string => `
name: fin
duration: 20s
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.tcp_fin_timeout: ${fin} } }
  server: { address: 198.18.0.2 }
servers:
  - { host: server, port: 80, close: never }
clients:
  - { host: client, target: server:80, count: 10, rate: serial }
snapshots: [2s, 9s, 11s]
`;
    const r = simulate(parseScenario(text(10), 't'));
    assert.deepEqual(r.snapshots.map((s) => s.hosts.client!.FIN_WAIT_2 ?? 0), [10, 10, 0]);
  });
});

describe('bind(port 0) before connect() (inet_csk_get_port) and IP_BIND_ADDRESS_NO_PORT', () => {
  const twoDestinations = (extra: string): Result =>
    simulate(
      parseScenario(
        `
name: bind-zero
duration: 2s
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.ip_local_port_range: "40000 40099", net.ipv4.tcp_tw_reuse: 0 } }
  server: { address: 198.18.0.2 }
servers:
  - { host: server, port: 80 }
  - { host: server, port: 81 }
clients:
  - { host: client, target: server:80, count: 100, rate: serial, bind: "198.18.0.1:0"${extra}, record_ports: true }
  - { host: client, target: server:81, count: 100, rate: serial, bind: "198.18.0.1:0"${extra}, start: 1s }
`,
        't',
      ),
    );

  it('bind(0) takes a port for every destination: two destinations share one range (the Envoy/HAProxy trap)', () => {
    const r = twoDestinations('');
    assert.equal(r.clients[0]!.connected + r.clients[1]!.connected, 100);
    assert.equal(r.clients[1]!.errors.EADDRINUSE, 100);
    assert.ok(r.clients[0]!.local_ports!.slice(0, 50).every((p) => p % 2 === 1), 'bind() prefers odd ports');
  });

  it('IP_BIND_ADDRESS_NO_PORT defers the choice to connect(): each destination gets the whole range', () => {
    const r = twoDestinations(', bind_address_no_port: true');
    assert.equal(r.clients[0]!.connected, 100);
    assert.equal(r.clients[1]!.connected, 100);
  });
});

describe('tcp_syn_retries and ip_local_reserved_ports', () => {
  it('tcp_syn_retries 2 (+ tcp_syn_linear_timeouts 4): SYNs at 0-5 s every second, then 7 s; ETIMEDOUT at about 11 s', () => {
    const text = `
name: syn-retries
duration: 15s
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.tcp_syn_retries: 2 } }
  server: { address: 198.18.0.2 }
faults:
  - { from: client, flags: S, action: drop }
clients:
  - { host: client, target: server:80, count: 1, rate: serial }
snapshots: [10.9s, 12s]
`;
    const r = simulate(parseScenario(text, 't'));
    assert.equal(r.clients[0]!.errors.ETIMEDOUT, 1);
    assert.deepEqual(r.snapshots.map((s) => s.hosts.client!.SYN_SENT ?? 0), [1, 0]);
  });

  it('reserved ports are never handed out by connect()', () => {
    const r = scenario({ client: 'count: 600, rate: serial, record_ports: true', sysctl: 'net.ipv4.tcp_tw_reuse: 0, net.ipv4.ip_local_reserved_ports: "40000-40099"' });
    assert.equal(r.clients[0]!.connected, 400);
    assert.ok(r.clients[0]!.local_ports!.every((p) => p >= 40100));
  });
});
