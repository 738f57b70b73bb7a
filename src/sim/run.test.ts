// Whole scenarios through the simulator: the stories the sample scenarios must tell, and
// determinism (same input and seed -> byte-identical result).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadScenarioFile, parseScenario } from '../scenario/load.js';
import { simulate } from './run.js';
import { repoRoot } from '../paths.js';

const scenarios = join(repoRoot(), 'scenarios');

describe('sample scenarios', () => {
  it('small-range-burst: 100 connected, 50 EADDRNOTAVAIL, 100 TIME_WAIT on the client', () => {
    const r = simulate(loadScenarioFile(join(scenarios, 'small-range-burst.yaml')));
    const c = r.clients[0]!;
    assert.equal(c.attempted, 150);
    assert.equal(c.connected, 100);
    assert.equal(c.errors.EADDRNOTAVAIL, 50);
    assert.equal(r.hosts.client!.states_end.TIME_WAIT, 100);
    assert.equal(c.local_ports!.length, 100);
    assert.equal(new Set(c.local_ports).size, 100);
    assert.ok(c.local_ports!.slice(0, 50).every((p) => p % 2 === 0), 'the first half are even ports');
  });

  it('close-wait-leak: 50 FIN_WAIT_2 on the client at 1 s and none at 7 s; 50 CLOSE_WAIT on the server at both', () => {
    const r = simulate(loadScenarioFile(join(scenarios, 'close-wait-leak.yaml')));
    const [at1, at7] = r.snapshots;
    assert.equal(at1!.t, 1);
    assert.equal(at1!.hosts.client!.FIN_WAIT_2, 50);
    assert.equal(at1!.hosts.server!.CLOSE_WAIT, 50);
    assert.equal(at7!.t, 7);
    assert.equal(at7!.hosts.client!.FIN_WAIT_2 ?? 0, 0);
    assert.equal(at7!.hosts.server!.CLOSE_WAIT, 50);
    // An orphan FIN_WAIT_2 that becomes a FIN_WAIT_2 timewait socket (tcp_time_wait with
    // TCP_FIN_WAIT2) is one socket: the peak is the 50 connections, not 51.
    assert.equal(r.hosts.client!.states_peak.FIN_WAIT_2, 50);
    assert.equal(r.hosts.server!.states_peak.CLOSE_WAIT, 50);
  });
});

describe('many hosts', () => {
  it('hosts holding TIME_WAIT at once, each on its own timer wheel phase, all expire in order', () => {
    const hosts = [1, 2, 3, 4].map((i) => `  c${i}: { address: 198.18.1.${i} }`).join('\n');
    const clients = [1, 2, 3, 4].map((i) => `  - { host: c${i}, target: server:80, count: 200, rate: 100/s }`).join('\n');
    const text = `name: many\nduration: 70s\nhosts:\n${hosts}\n  server: { address: 198.18.0.2 }\nservers:\n  - { host: server, port: 80 }\nclients:\n${clients}\nsnapshots: [3s, 69s]\n`;
    const r = simulate(parseScenario(text, 'many'));
    for (const i of [1, 2, 3, 4]) {
      assert.equal(r.snapshots[0]!.hosts[`c${i}`]!.TIME_WAIT, 200);
      assert.equal(r.snapshots[1]!.hosts[`c${i}`]!.TIME_WAIT ?? 0, 0);
    }
  });
});

describe('impaired links', () => {
  it('loss, duplication and reordering slow connections down but every exchange completes', () => {
    const text = `
name: impaired
seed: 9
duration: 20s
hosts:
  client: { address: 198.18.0.1 }
  server: { address: 198.18.0.2 }
links:
  - { between: [client, server], delay: 2ms, jitter: 500us, loss: 0.03, duplicate: 0.02, reorder: 0.1 }
servers:
  - { host: server, port: 80, close: after-peer, response_bytes: 20000 }
clients:
  - { host: client, target: server:80, count: 200, rate: 50/s, request_bytes: 3000 }
`;
    const r = simulate(parseScenario(text, 'impaired'));
    assert.equal(r.clients[0]!.completed, 200);
    assert.ok(r.hosts.server!.mib.TcpRetransSegs! + r.hosts.client!.mib.TcpRetransSegs! > 0);
    assert.ok(r.clients[0]!.connect_ms.max > 900, 'some lost SYN or SYN-ACK cost a 1 s retransmission');
  });
});

describe('determinism', () => {
  const text = `
name: determinism
seed: 5
duration: 3s
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.ip_local_port_range: "40000 40999" } }
  server: { address: 198.18.0.2 }
links:
  - { between: [client, server], delay: 200us, jitter: 100us, loss: 0.01 }
servers:
  - { host: server, port: 80, close: after-peer, response_bytes: 3000 }
clients:
  - { host: client, target: server:80, count: 600, rate: 300/s, request_bytes: 200, record_ports: true }
series: 500ms
`;

  it('the same scenario and seed give byte-identical JSON', () => {
    const a = JSON.stringify(simulate(parseScenario(text, 'inline')));
    const b = JSON.stringify(simulate(parseScenario(text, 'inline')));
    assert.equal(a, b);
  });

  it('another seed gives another run (the seed is really used)', () => {
    const a = simulate(parseScenario(text, 'inline')).clients[0]!.local_ports;
    const b = simulate(parseScenario(text.replace('seed: 5', 'seed: 6'), 'inline')).clients[0]!.local_ports;
    assert.notDeepEqual(a, b);
  });
});
