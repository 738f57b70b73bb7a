// Masquerade: hosts behind one address, source ports kept unless they clash
// (nf_nat_core.c nf_nat_l4proto_unique_tuple), conntrack timeouts (nf_conntrack_proto_tcp.c).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_DIR } from '../scenario/builtin.js';
import { parseScenario } from '../scenario/load.js';
import { simulate } from '../sim/run.js';

const text = (extra = ''): string => `
name: nat
duration: 5s
hosts:
  a: { address: 198.18.1.1 }
  b: { address: 198.18.1.2 }
  gw: { address: 198.18.0.254, nat: { inside: [a, b] } }
  server: { address: 198.18.0.2 }
servers:
  - { host: server, port: 80, close: after-peer, response_bytes: 100 }
clients:
  - { host: a, target: server:80, count: 1, rate: serial, bind: "198.18.1.1:40000", record_ports: true }
  - { host: b, target: server:80, count: 1, rate: serial, bind: "198.18.1.2:40000", start: 1s${extra} }
snapshots: [3s]
`;

describe('masquerade NAT', () => {
  it('two hosts behind one address reach the server; the second, clashing source port is rewritten', () => {
    const r = simulate(parseScenario(text(), 'nat.test'));
    assert.equal(r.clients[0]!.completed, 1);
    assert.equal(r.clients[1]!.completed, 1);
    assert.equal(r.hosts.gw!.nat!.remapped_ports, 1);
    // The clients closed first: each holds its TIME_WAIT on its own port 40000.
    assert.equal(r.hosts.a!.states_end.TIME_WAIT, 1);
    assert.equal(r.hosts.b!.states_end.TIME_WAIT, 1);
  });

  it('conntrack keeps each connection after it closes (TIME_WAIT timeout 120 s)', () => {
    const r = simulate(parseScenario(text(), 'nat.test'));
    assert.equal(r.hosts.gw!.nat!.conntrack_end, 2);
  });
});

describe('nat-tw-recycle (linux-4.4 tcp_tw_recycle behind a NAT)', () => {
  it('SYNs from clients whose clocks are behind are dropped (TcpExtPAWSPassive); connects time out', () => {
    const yaml = readFileSync(join(BUILTIN_DIR, 'nat-tw-recycle.yaml'), 'utf8');
    const on = simulate(parseScenario(yaml, 'nat-tw-recycle'));
    const timedOut = on.clients.reduce((n, c) => n + c.errors.ETIMEDOUT!, 0);
    assert.ok(on.hosts.server!.mib.TcpExtPAWSPassive! > 0);
    assert.ok(timedOut > 50, `${timedOut} timed out`);
    const off = simulate(parseScenario(yaml.replace('tcp_tw_recycle: 1', 'tcp_tw_recycle: 0'), 'nat-tw-recycle'));
    assert.equal(off.hosts.server!.mib.TcpExtPAWSPassive, 0);
    assert.ok(off.clients.every((c) => c.connected === c.attempted));
  });
});
