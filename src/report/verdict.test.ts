import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/types.js';
import { RESULT_FORMAT, type ClientResult, type HostResult, type Result, type UpstreamResult } from '../sim/result.js';
import { DIGIT_GROUP, verdict } from './verdict.js';

// Hand-built results: each case sets only the figures its sentence is about.

const NONE = { p50: 0, p99: 0, max: 0 };
const ERRORS = { EADDRNOTAVAIL: 0, ECONNREFUSED: 0, ETIMEDOUT: 0, ECONNRESET: 0 };

function client(c: Partial<ClientResult> & Pick<ClientResult, 'host' | 'target'>): ClientResult {
  return { attempted: 10, connected: 10, completed: 10, errors: { ...ERRORS }, errors_first_s: {}, connect_ms: NONE, connect_probes: NONE, ...c };
}

function upstream(u: Partial<UpstreamResult> & Pick<UpstreamResult, 'target'>): UpstreamResult {
  return { attempted: 0, connected: 0, errors: { ...ERRORS }, errors_first_s: {}, reused: 0, connect_probes: NONE, ...u };
}

function host(h: Partial<HostResult> = {}): HostResult {
  return { states_end: {}, states_peak: {}, mib: {}, timewait_memory_bytes_peak: 0, bind_buckets_peak: 0, ...h };
}

function result(scenario: Scenario, r: Partial<Result>): Result {
  return {
    format: RESULT_FORMAT,
    engine: 'simulate',
    scenario: scenario.name,
    kernel: scenario.kernel,
    seed: scenario.seed,
    simulated_seconds: scenario.duration / 1e6,
    clients: [],
    proxies: [],
    hosts: Object.fromEntries(scenario.hosts.map((h) => [h.name, host()])),
    snapshots: [],
    integrity: { stale_segments_accepted: 0, stale_bytes_accepted: 0, resets_from_stale_state: 0 },
    series: { interval_s: 1, t: [], hosts: {} },
    ...r,
  };
}

/** The sentences with digit groups written as plain spaces, for readable expectations. */
function says(result: Result, scenario: Scenario): string[] {
  return verdict(result, scenario).map((s) => s.replaceAll(DIGIT_GROUP, ' '));
}

function sentence(sentences: string[], start: string): string {
  const found = sentences.find((s) => s.startsWith(start));
  assert.ok(found, `no sentence starting "${start}" in:\n${sentences.join('\n')}`);
  return found;
}

/** The article's load balancer: 1000 requests/s, two upstreams. `extra` goes under hosts.lb. */
function lbScenario({ kernel = 'linux-6.18', lb = '', web1 = '' } = {}): Scenario {
  return parseScenario(
    `
name: lb-test
kernel: ${kernel}
duration: 90s
hosts:
  client: { address: 180.172.35.150, sysctl: { net.ipv4.ip_local_port_range: "1024 65535" } }
  lb: { address: 10.162.74.10 ${lb} }
  web1: { address: 10.162.74.43 ${web1} }
  web2: { address: 10.162.74.44 }
servers:
  - { host: web1, port: 80 }
  - { host: web2, port: 80 }
clients:
  - { host: client, target: lb:80, count: 90000, rate: 1000/s }
proxies:
  - { host: lb, port: 80, upstreams: [web1:80, web2:80] }
`,
    'lb-test.yaml',
  );
}

function lbRanOut(scenario: Scenario): Result {
  const failing = (target: string, first: number): UpstreamResult =>
    upstream({ target, attempted: 45000, connected: 43000, errors: { ...ERRORS, EADDRNOTAVAIL: 2000 }, errors_first_s: { EADDRNOTAVAIL: first }, connect_probes: { p50: 7, p99: 28232, max: 28232 } });
  return result(scenario, {
    clients: [client({ host: 'client', target: 'lb:80', attempted: 90000, connected: 90000, completed: 86000 })],
    proxies: [{ host: 'lb', requests: 90000, failed: 4000, upstreams: [failing('web1:80', 56.41), failing('web2:80', 56.52)] }],
  });
}

describe('verdict: running out of ports (EADDRNOTAVAIL)', () => {
  it('the host, the destinations, when, the range, and the TIME_WAIT arithmetic', () => {
    const scenario = lbScenario();
    const s = says(lbRanOut(scenario), scenario);
    assert.equal(
      sentence(s, 'lb ran out'),
      'lb ran out of local ports to 10.162.74.43:80 (web1) at t=56.4 s and 10.162.74.44:80 (web2) at t=56.5 s: 4 000 of 90 000 connect() calls ' +
        'failed with EADDRNOTAVAIL once all 28 232 ports of its range 32768-60999 were taken towards each.',
    );
    assert.equal(
      sentence(s, 'On lb'),
      'On lb, a 60 s TIME_WAIT lets 28 232 ports carry at most 470 new connections/s to one destination; the scenario asks 500/s to each.',
    );
    assert.match(sentence(s, 'tcp_tw_reuse'), /^tcp_tw_reuse is 2 on lb \(the default: loopback only\), so it does not apply to these destinations; with 1, connect\(\) could take over a TIME_WAIT port 1000 ms after/);
  });

  it('what it cost the client: the proxy closed requests without a response, which the client does not count as errors', () => {
    const scenario = lbScenario();
    assert.equal(
      sentence(says(lbRanOut(scenario), scenario), 'lb closed'),
      'lb closed 4 000 of 90 000 requests without a response: 4 000 because its own connect() to an upstream failed; client sees them as exchanges not completed, not as errors.',
    );
    // Failures passed on from a proxy behind it are told apart from its own.
    const chain = parseScenario(
      `name: chain
duration: 10s
hosts:
  client: { address: 198.18.0.1 }
  lb: { address: 198.18.0.2 }
  web: { address: 198.18.0.3 }
  db: { address: 198.18.0.4 }
servers:
  - { host: db, port: 3306 }
clients:
  - { host: client, target: lb:80, count: 100, rate: 10/s }
proxies:
  - { host: lb, port: 80, upstreams: [web:80] }
  - { host: web, port: 80, upstreams: [db:3306] }
`,
      'chain.yaml',
    );
    const r = result(chain, {
      clients: [client({ host: 'client', target: 'lb:80', attempted: 100, connected: 100, completed: 90 })],
      proxies: [
        { host: 'lb', requests: 100, failed: 10, upstreams: [upstream({ target: 'web:80', attempted: 100, connected: 98, errors: { ...ERRORS, EADDRNOTAVAIL: 2 } })] },
        { host: 'web', requests: 98, failed: 8, upstreams: [upstream({ target: 'db:3306', attempted: 98, connected: 90, errors: { ...ERRORS, EADDRNOTAVAIL: 8 } })] },
      ],
    });
    const s = says(r, chain);
    assert.equal(sentence(s, 'lb closed'), 'lb closed 10 of 100 requests without a response: 2 because its own connect() to an upstream failed and 8 because web closed theirs without one; client sees them as exchanges not completed, not as errors.');
    assert.equal(sentence(s, 'web closed'), 'web closed 8 of 98 requests without a response: 8 because its own connect() to an upstream failed.');
  });

  it('no TIME_WAIT arithmetic when the rate fits the range', () => {
    const scenario = lbScenario({ lb: ', sysctl: { net.ipv4.ip_local_port_range: "32768 60999" }' });
    const slow = { ...scenario, clients: scenario.clients.map((c) => ({ ...c, rate: { kind: 'open' as const, perSecond: 800 } })) };
    const s = says(lbRanOut(slow), slow);
    assert.ok(!s.some((x) => x.startsWith('On lb')), s.join('\n'));
  });

  it('tcp_tw_reuse=1 that did not save it, and timestamps that make it useless', () => {
    const reuse = lbScenario({ lb: ', sysctl: { net.ipv4.tcp_tw_reuse: 1 }' });
    assert.match(sentence(says(lbRanOut(reuse), reuse), 'tcp_tw_reuse'), /^tcp_tw_reuse is 1 on lb, yet ports ran out: it only takes over a TIME_WAIT port 1000 ms after/);
    const noStamps = lbScenario({ web1: ', sysctl: { net.ipv4.tcp_timestamps: 0 }' });
    assert.equal(sentence(says(lbRanOut(noStamps), noStamps), 'tcp_tw_reuse'), 'tcp_tw_reuse cannot help while tcp_timestamps is 0 on web1: reusing a TIME_WAIT port needs timestamps on both ends.');
  });

  it('rfc9293: a 240 s TIME_WAIT and no reuse at all', () => {
    const scenario = lbScenario({ kernel: 'rfc9293' });
    const s = says(lbRanOut(scenario), scenario);
    assert.match(sentence(s, 'On lb'), /a 240 s TIME_WAIT lets 28 232 ports carry at most 117 new connections\/s/);
    assert.ok(s.includes('On the rfc9293 profile connect() never takes over a TIME_WAIT port: tcp_tw_reuse is a Linux extension.'), s.join('\n'));
  });

  it('what_if timewait_len is flagged as not Linux, in the arithmetic and on its own', () => {
    const scenario = lbScenario({ lb: ', what_if: { timewait_len: 120s }' });
    const s = says(lbRanOut(scenario), scenario);
    assert.match(sentence(s, 'On lb'), /a 120 s TIME_WAIT \(what_if, not Linux\) lets 28 232 ports carry at most 235/);
    assert.equal(sentence(s, 'Not Linux'), "Not Linux: lb's TIME_WAIT lasts 120 s by what_if timewait_len, a simulator-only knob; the linux-6.18 TIME_WAIT is 60 s and no sysctl changes it.");
  });

  it('hosts with the same story are named together', () => {
    const scenario = lbScenario();
    const s = says(lbRanOut(scenario), scenario);
    assert.match(sentence(s, 'connect() on lb'), /^connect\(\) on lb looked at 28 232 ports at p99 of a 28 232-port range: a connect\(\) that fails looks at every port of the range first\./);
  });

  it('a serial client: the count, not a rate, is what the range cannot hold', () => {
    const scenario = parseScenario(
      `
name: burst
duration: 2s
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.ip_local_port_range: "50000 50099", net.ipv4.tcp_tw_reuse: 0 } }
  server: { address: 198.18.0.2 }
servers: [{ host: server, port: 9000 }]
clients: [{ host: client, target: 198.18.0.2:9000, count: 150, rate: serial }]
`,
      'burst.yaml',
    );
    const r = result(scenario, {
      clients: [client({ host: 'client', target: '198.18.0.2:9000', attempted: 150, connected: 100, completed: 100, errors: { ...ERRORS, EADDRNOTAVAIL: 50 }, errors_first_s: { EADDRNOTAVAIL: 0.0123 } })],
    });
    const s = says(r, scenario);
    assert.match(sentence(s, 'client ran out'), /^client ran out of local ports to 198\.18\.0\.2:9000 \(server\) at t=0\.01 s: 50 of 150 connect\(\) calls/);
    assert.equal(sentence(s, 'On client'), 'On client, 150 connections to one destination within 2 s need more than the 100 ports, each held for a 60 s TIME_WAIT.');
    assert.match(sentence(s, 'tcp_tw_reuse'), /^tcp_tw_reuse is 0 on client; with 1/);
  });
});

describe('verdict: reserved ports (ip_local_reserved_ports)', () => {
  const reserved = (ports: string): Scenario =>
    parseScenario(
      `
name: reserved
duration: 2s
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.ip_local_port_range: "50000 50009", net.ipv4.ip_local_reserved_ports: "${ports}" } }
  server: { address: 198.18.0.2 }
servers: [{ host: server, port: 9000 }]
clients: [{ host: client, target: 198.18.0.2:9000, count: 20, rate: serial }]
`,
      'reserved.yaml',
    );
  const failing = (scenario: Scenario, failed: number): Result =>
    result(scenario, {
      clients: [client({ host: 'client', target: '198.18.0.2:9000', attempted: 20, connected: 20 - failed, completed: 20 - failed, errors: { ...ERRORS, EADDRNOTAVAIL: failed }, errors_first_s: { EADDRNOTAVAIL: 0 } })],
    });

  it('all reserved: the ports are reserved, not taken, and no TIME_WAIT arithmetic', () => {
    const scenario = reserved('0-65535');
    const s = says(failing(scenario, 20), scenario);
    assert.equal(
      sentence(s, 'client ran out'),
      'client ran out of local ports to 198.18.0.2:9000 (server) at t=0 s: 20 of 20 connect() calls failed with EADDRNOTAVAIL, ' +
        'because every port of its range 50000-50009 is reserved (net.ipv4.ip_local_reserved_ports).',
    );
    assert.ok(!s.some((x) => /all 0 ports|0 ports carry|tcp_tw_reuse/.test(x)), s.join('\n'));
  });

  it('one usable port: singular, and the reserved ones said', () => {
    const scenario = reserved('50000-50008');
    const s = says(failing(scenario, 19), scenario);
    assert.match(sentence(s, 'client ran out'), /failed with EADDRNOTAVAIL once the only usable port of its range 50000-50009 \(the other 9 are reserved\) was taken towards that destination\.$/);
    assert.ok(!s.some((x) => x.includes('1 ports')), s.join('\n'));
  });

  it('some reserved: all N usable ports', () => {
    const scenario = reserved('50000-50004');
    assert.match(sentence(says(failing(scenario, 15), scenario), 'client ran out'), /once all 5 usable ports of its range 50000-50009 \(the other 5 are reserved\) were taken/);
  });
});

describe('verdict: other trouble', () => {
  const pair = (serverExtra: string, clientExtra = ''): Scenario =>
    parseScenario(
      `
name: pair
duration: 10s
hosts:
  client: { address: 198.18.0.1 }
  server: { address: 198.18.0.2 }
servers: [{ host: server, port: 9001 ${serverExtra} }]
clients: [{ host: client, target: server:9001, count: 50, rate: 10/s ${clientExtra} }]
`,
      'pair.yaml',
    );

  it('CLOSE_WAIT left by an application that never closes', () => {
    const scenario = pair(', close: never');
    const r = result(scenario, { clients: [client({ host: 'client', target: 'server:9001' })], hosts: { client: host(), server: host({ states_end: { CLOSE_WAIT: 50 } }) } });
    assert.equal(
      sentence(says(r, scenario), 'server holds'),
      'server holds 50 CLOSE_WAIT sockets at the end: the peers closed, but the application never closes its side (close: never on port 9001), so they stay until it does.',
    );
  });

  it("CLOSE_WAIT leak: the clients' orphaned FIN_WAIT_2 go after tcp_fin_timeout, the CLOSE_WAIT stays", () => {
    const scenario = parseScenario(
      `
name: leak
duration: 8s
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.tcp_fin_timeout: 5 } }
  server: { address: 198.18.0.2 }
servers: [{ host: server, port: 9001, close: never }]
clients: [{ host: client, target: server:9001, count: 50, rate: serial, close: first }]
`,
      'leak.yaml',
    );
    const r = result(scenario, {
      clients: [client({ host: 'client', target: 'server:9001', attempted: 50, connected: 50, completed: 50 })],
      hosts: { client: host({ states_peak: { FIN_WAIT_2: 50 }, mib: { TcpExtTW: 50 } }), server: host({ states_end: { CLOSE_WAIT: 50 } }) },
    });
    assert.equal(
      sentence(says(r, scenario), "client's side"),
      "client's side of the 50 connections closed first and waited in FIN_WAIT_2 for a FIN that never came; orphaned by close(), " +
        "each went after tcp_fin_timeout (5 s), so none is left on client, while server's CLOSE_WAIT stays.",
    );
    const early = result(scenario, {
      clients: [client({ host: 'client', target: 'server:9001', attempted: 50, connected: 50, completed: 50 })],
      hosts: { client: host({ states_peak: { FIN_WAIT_2: 50 }, states_end: { FIN_WAIT_2: 20 } }), server: host({ states_end: { CLOSE_WAIT: 50 } }) },
    });
    assert.match(sentence(says(early, scenario), "client's side"), /orphaned by close\(\), they go after tcp_fin_timeout \(5 s\): 20 are still in FIN_WAIT_2 on client at the end, while server's CLOSE_WAIT stays\.$/);
    // tcp_fin_time never waits less than 3.5 RTO: a tcp_fin_timeout of 0 is not "0 s".
    const zero = { ...scenario, hosts: scenario.hosts.map((h) => (h.name === 'client' ? { ...h, sysctl: { ...h.sysctl, tcp_fin_timeout: 0 } } : h)) };
    assert.match(sentence(says(r, zero), "client's side"), /each went after tcp_fin_time: tcp_fin_timeout \(0 s\), but at least 3\.5 RTO, so none is left/);
  });

  it('CLOSE_WAIT at the end of a server that does close is not called a leak', () => {
    const scenario = pair(', close: after-peer');
    const r = result(scenario, { clients: [client({ host: 'client', target: 'server:9001' })], hosts: { client: host(), server: host({ states_end: { CLOSE_WAIT: 1 } }) } });
    assert.ok(!says(r, scenario).some((s) => s.includes('CLOSE_WAIT')));
  });

  it('SO_LINGER 0: resets instead of FINs', () => {
    const scenario = pair(', close: first, linger: 0');
    const r = result(scenario, {
      clients: [client({ host: 'client', target: 'server:9001', completed: 0, errors: { ...ERRORS, ECONNRESET: 50 }, errors_first_s: { ECONNRESET: 0.1 } })],
      hosts: { client: host(), server: host({ mib: { TcpExtTCPAbortOnData: 50 } }) },
    });
    assert.equal(
      sentence(says(r, scenario), 'server closed'),
      'server closed 50 connections with SO_LINGER 0 (TcpExtTCPAbortOnData): each close() sent an RST instead of a FIN, which leaves no TIME_WAIT but throws away data not yet delivered. client saw ECONNRESET 50 times.',
    );
  });

  it('tcp_max_tw_buckets overflow', () => {
    const scenario = parseScenario(
      `
name: buckets
duration: 10s
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.tcp_max_tw_buckets: 100 } }
  server: { address: 198.18.0.2 }
servers: [{ host: server, port: 9001 }]
clients: [{ host: client, target: server:9001, count: 500, rate: 50/s }]
`,
      'buckets.yaml',
    );
    const r = result(scenario, { clients: [client({ host: 'client', target: 'server:9001', attempted: 500, connected: 500, completed: 500 })], hosts: { client: host({ mib: { TcpExtTCPTimeWaitOverflow: 400 } }), server: host() } });
    assert.match(sentence(says(r, scenario), 'client hit'), /^client hit net\.ipv4\.tcp_max_tw_buckets \(100\): 400 connections closed without a TIME_WAIT \(TcpExtTCPTimeWaitOverflow\)/);
  });

  it('stale segments accepted, with the what_if that allowed it', () => {
    const scenario = parseScenario(
      `
name: stale
duration: 10s
hosts:
  client: { address: 198.18.0.1, what_if: { timewait_len: 0s } }
  server: { address: 198.18.0.2 }
servers: [{ host: server, port: 9001 }]
clients: [{ host: client, target: server:9001, count: 5, rate: 1/s }]
`,
      'stale.yaml',
    );
    const r = result(scenario, { clients: [client({ host: 'client', target: 'server:9001' })], integrity: { stale_segments_accepted: 1, stale_bytes_accepted: 100, resets_from_stale_state: 0 } });
    const s = says(r, scenario);
    assert.equal(
      sentence(s, '1 segment'),
      '1 segment (100 bytes) of an earlier connection was accepted by a later one on the same 4-tuple: the corruption TIME_WAIT exists to prevent. ' +
        'Here TIME_WAIT was shortened on client by what_if timewait_len (simulator only, not Linux).',
    );
    assert.match(sentence(s, 'Not Linux'), /client's TIME_WAIT lasts 0 s/);
  });

  it('resets from stale state: the host that had ended the connection resets the peer that still holds it', () => {
    // lost-last-ack-no-timewait: the client, holding nothing, resets the server's LAST_ACK.
    const scenario = pair(', close: after-peer');
    const r = result(scenario, {
      clients: [client({ host: 'client', target: 'server:9001' })],
      hosts: { client: host({ mib: { TcpOutRsts: 2 } }), server: host() },
      integrity: { stale_segments_accepted: 0, stale_bytes_accepted: 0, resets_from_stale_state: 2 },
    });
    assert.equal(
      sentence(says(r, scenario), 'client sent'),
      'client sent 2 RSTs in answer to segments of connections it had already ended, which server still held (resets_from_stale_state).',
    );
    // linger-rst: the server aborted (its abort RSTs are not stale); the client's aborts are not either.
    const linger = pair(', close: first, linger: 0');
    const both = result(linger, {
      clients: [client({ host: 'client', target: 'server:9001' })],
      hosts: { client: host({ mib: { TcpOutRsts: 50, TcpExtTCPAbortOnData: 50 } }), server: host({ mib: { TcpOutRsts: 550, TcpExtTCPAbortOnData: 50 } }) },
      integrity: { stale_segments_accepted: 0, stale_bytes_accepted: 0, resets_from_stale_state: 500 },
    });
    assert.equal(
      sentence(says(both, linger), 'server sent'),
      'server sent 500 RSTs in answer to segments of connections it had already ended, which client still held (resets_from_stale_state).',
    );
    // Nobody to name: said without a host, still the right way round.
    const unknown = result(scenario, { integrity: { stale_segments_accepted: 0, stale_bytes_accepted: 0, resets_from_stale_state: 1 } });
    assert.equal(
      sentence(says(unknown, scenario), '1 RST'),
      '1 RST answered a segment of a connection the resetting host had already ended while its peer still held it (resets_from_stale_state).',
    );
    assert.ok(!says(both, linger).some((x) => x.includes('still held an earlier incarnation')));
  });

  it('tcp_tw_recycle behind NAT: timeouts, PAWS drops, and why', () => {
    const scenario = parseScenario(
      `
name: recycle
kernel: linux-4.4
duration: 60s
hosts:
  c1: { address: 198.18.1.1 }
  c2: { address: 198.18.1.2 }
  nat1: { address: 198.18.0.254, nat: { inside: [c1, c2] } }
  server: { address: 198.18.0.2, sysctl: { net.ipv4.tcp_tw_recycle: 1 } }
servers: [{ host: server, port: 80, close: first }]
clients:
  - { host: c1, target: server:80, count: 100, rate: 5/s }
  - { host: c2, target: server:80, count: 100, rate: 5/s }
`,
      'recycle.yaml',
    );
    const r = result(scenario, {
      clients: [
        client({ host: 'c1', target: 'server:80', attempted: 100, connected: 2, completed: 2, errors: { ...ERRORS, ETIMEDOUT: 98 }, errors_first_s: { ETIMEDOUT: 15.4 } }),
        client({ host: 'c2', target: 'server:80', attempted: 100, connected: 100, completed: 100 }),
      ],
      hosts: { c1: host(), c2: host(), nat1: host(), server: host({ mib: { TcpExtPAWSPassive: 300 } }) },
    });
    const s = says(r, scenario);
    assert.equal(sentence(s, 'Connections to'), 'Connections to 198.18.0.2:80 (server) timed out (ETIMEDOUT) for c1 (98 of 100, the first at t=15.4 s).');
    assert.match(sentence(s, 'server dropped'), /^server dropped 300 SYNs .* \(TcpExtPAWSPassive\), which it does because net\.ipv4\.tcp_tw_recycle is 1\.$/);
    assert.match(sentence(s, 'c1 and c2 reach server through nat1'), /tcp_tw_recycle takes their SYNs for old duplicates/);
  });
});

describe("verdict: the last ACK is lost (the article's figure two)", () => {
  /** Two connections from bound ports; the client's final ACK of each close dropped. */
  const figureTwo = (clientExtra = ''): Scenario =>
    parseScenario(
      `
name: last-ack
duration: 3s
hosts:
  client: { address: 180.172.35.150, sysctl: { net.ipv4.tcp_timestamps: 0 } ${clientExtra} }
  server: { address: 180.97.33.108 }
faults:
  - { from: client, to: server, flags: "A", sender_state: FIN_WAIT_2, count: 2, action: drop }
servers: [{ host: server, port: 80, close: after-peer }]
clients:
  - { host: client, target: server:80, count: 1, rate: serial, close: first }
  - { host: client, target: server:80, count: 2, rate: 10/s, close: first }
`,
      'last-ack.yaml',
    );
  const ms = (p50: number, max: number) => ({ p50, p99: max, max });

  it('with TIME_WAIT: the server retransmits its FIN, the TIME_WAIT answers with an ACK, no RST', () => {
    const scenario = figureTwo();
    const r = result(scenario, {
      clients: [client({ host: 'client', target: 'server:80', attempted: 1, connected: 1, completed: 1 }), client({ host: 'client', target: 'server:80', attempted: 2, connected: 1, completed: 1 })],
      hosts: {
        client: host({ states_peak: { TIME_WAIT: 2 }, states_end: { TIME_WAIT: 2 }, mib: { TcpExtTW: 2 } }),
        server: host({ states_peak: { LAST_ACK: 2 }, mib: { TcpRetransSegs: 2 } }),
      },
    });
    assert.equal(
      sentence(says(r, scenario), "client's final ACK"),
      "client's final ACK of a close was dropped on the way to server (a fault of the scenario), so server stayed in LAST_ACK (2 at peak) " +
        'and retransmitted its FIN (TcpRetransSegs 2 on server); the TIME_WAIT on client answered with an ACK again and server closed, ' +
        'with no RST on either side (TcpOutRsts 0). Answering a FIN that comes again is the second job of TIME_WAIT.',
    );
  });

  it('without TIME_WAIT: LAST_ACK is left to its FIN retransmission, which gets an RST; the reconnect meets the LAST_ACK', () => {
    const scenario = figureTwo(', what_if: { timewait_len: 0s }');
    const r = result(scenario, {
      clients: [
        client({ host: 'client', target: 'server:80', attempted: 1, connected: 1, completed: 1, connect_ms: ms(0.1, 0.1) }),
        client({ host: 'client', target: 'server:80', attempted: 2, connected: 2, completed: 2, connect_ms: ms(0.1, 10.1) }),
      ],
      hosts: {
        client: host({ states_peak: { TIME_WAIT: 1 }, mib: { TcpOutRsts: 2, TcpExtTCPSynRetrans: 1, TcpExtTWKilled: 3 } }),
        server: host({ states_peak: { LAST_ACK: 2 }, mib: { TcpRetransSegs: 1, TcpExtTCPChallengeACK: 1, TcpExtTCPSYNChallenge: 1 } }),
      },
      integrity: { stale_segments_accepted: 0, stale_bytes_accepted: 0, resets_from_stale_state: 2 },
    });
    const s = says(r, scenario);
    assert.equal(
      sentence(s, "client's final ACK"),
      "client's final ACK of a close was dropped on the way to server (a fault of the scenario), and client keeps no TIME_WAIT " +
        '(what_if timewait_len 0 s, not Linux), so nothing on client remembered the connection: server stayed in LAST_ACK (2 at peak) ' +
        'and its retransmitted FIN (TcpRetransSegs 1 on server) was answered with an RST.',
    );
    assert.equal(
      sentence(s, 'client connected again'),
      'client connected again from a port whose old connection server still held: server answered the SYN with a challenge ACK ' +
        '(TcpExtTCPChallengeACK 1), client answered that with an RST (TcpOutRsts 2 on client in all) and sent its SYN again ' +
        '(TcpExtTCPSynRetrans 1), so the slowest connect() took 10.1 ms against 0.1 ms at p50.',
    );
    assert.ok(!s.some((x) => x.includes('the second job of TIME_WAIT')), s.join('\n'));
  });

  it('a LAST_ACK that ends normally is no story', () => {
    const scenario = figureTwo();
    const r = result(scenario, {
      clients: [client({ host: 'client', target: 'server:80' })],
      hosts: { client: host({ states_peak: { TIME_WAIT: 2 } }), server: host({ states_peak: { LAST_ACK: 1 } }) },
    });
    assert.ok(!says(r, scenario).some((x) => x.includes('LAST_ACK')));
  });
});

describe('verdict: the servers close first (TIME_WAIT moves to them)', () => {
  const webCloses = (duration = '60s'): Scenario =>
    parseScenario(
      `
name: web-closes
duration: ${duration}
hosts:
  client: { address: 180.172.35.150 }
  lb: { address: 10.162.74.10 }
  web1: { address: 10.162.74.43 }
  web2: { address: 10.162.74.44 }
servers:
  - { host: web1, port: 80, close: first }
  - { host: web2, port: 80, close: first }
clients:
  - { host: client, target: lb:80, count: 60000, rate: 1000/s, close: first }
proxies:
  - { host: lb, port: 80, upstreams: [web1:80, web2:80], upstream_close: after-peer }
`,
      'web-closes.yaml',
    );
  const run = (scenario: Scenario, rsts = 0): Result =>
    result(scenario, {
      clients: [client({ host: 'client', target: 'lb:80', attempted: 60000, connected: 60000, completed: 60000 })],
      proxies: [{ host: 'lb', requests: 59956, failed: 0, upstreams: [upstream({ target: 'web1:80', attempted: 29978, connected: 29978 }), upstream({ target: 'web2:80', attempted: 29978, connected: 29977 })] }],
      hosts: {
        client: host({ states_peak: { TIME_WAIT: 59910 }, states_end: { TIME_WAIT: 59910 } }),
        lb: host({ states_peak: { ESTABLISHED: 32 }, bind_buckets_peak: 2, mib: { TcpOutRsts: rsts } }),
        web1: host({ states_peak: { TIME_WAIT: 12793 }, states_end: { TIME_WAIT: 12793 }, mib: { TcpExtTW: 29978 } }),
        web2: host({ states_peak: { TIME_WAIT: 12581 }, states_end: { TIME_WAIT: 12581 }, mib: { TcpExtTW: 29977 } }),
      },
    });

  it('the connecting side holds no TIME_WAIT and its ports are free again at once', () => {
    const scenario = webCloses();
    assert.equal(
      sentence(says(run(scenario), scenario), 'lb holds no TIME_WAIT'),
      'lb holds no TIME_WAIT: web1 and web2 close first, so the TIME_WAIT of its 59 955 connections to them is on their side; ' +
        'a local port of lb is free again as soon as its connection ends (local ports in use peak: 2), and its 28 232-port range never runs short.',
    );
  });

  it("new SYNs reopen the servers' TIME_WAIT: TcpExtTW far above what is left, when none can have expired", () => {
    const scenario = webCloses();
    assert.equal(
      sentence(says(run(scenario), scenario), 'web1 holds'),
      'web1 holds 12 793 TIME_WAIT sockets at the end of the 29 978 it entered (TcpExtTW), web2 12 581 of 29 977; none can have expired ' +
        "in a 60 s run with a 60 s TIME_WAIT: new SYNs from lb reopened the others. lb's connect() cannot see a TIME_WAIT on the server, " +
        'so it reuses ports whose 4-tuple is still in TIME_WAIT there, and a SYN with a newer timestamp or a higher sequence number ' +
        'may take it over (RFC 6191); Linux counts no statistic for that.',
    );
  });

  it('a host whose range could hold every connection is not told about its ports', () => {
    const scenario = webCloses();
    const few = run(scenario);
    few.proxies = [{ host: 'lb', requests: 200, failed: 0, upstreams: [upstream({ target: 'web1:80', attempted: 100, connected: 100 }), upstream({ target: 'web2:80', attempted: 100, connected: 100 })] }];
    assert.ok(!says(few, scenario).some((x) => x.startsWith('lb holds no TIME_WAIT')));
  });

  it('no reopening claimed when TIME_WAITs may have expired or RSTs may have killed them', () => {
    const long = webCloses('90s');
    assert.ok(!says(run(long), long).some((x) => x.includes('reopened')));
    const scenario = webCloses();
    assert.ok(!says(run(scenario, 5), scenario).some((x) => x.includes('reopened')));
  });
});

describe('verdict: costs and a quiet run', () => {
  const quiet = (): Scenario =>
    parseScenario(
      `
name: quiet
duration: 10s
hosts:
  client: { address: 198.18.0.1 }
  server: { address: 198.18.0.2 }
servers: [{ host: server, port: 9001 }]
clients: [{ host: client, target: server:9001, count: 10, rate: 1/s }]
`,
      'quiet.yaml',
    );

  it('no errors: one line that says so, then who holds TIME_WAIT and its memory', () => {
    const scenario = quiet();
    const r = result(scenario, {
      clients: [client({ host: 'client', target: 'server:9001', attempted: 56464, completed: 56464 })],
      hosts: {
        client: host({ states_peak: { TIME_WAIT: 56464 }, timewait_memory_bytes_peak: 56464 * 256 }),
        server: host({ states_peak: { TIME_WAIT: 3 }, timewait_memory_bytes_peak: 768 }),
      },
    });
    assert.deepEqual(says(r, scenario), [
      'No errors: all 56 464 client connections completed.',
      'client holds 56 464 TIME_WAIT sockets at peak, 13.8 MiB of kernel memory (256 B each); server 3 (768 B).',
    ]);
  });

  it('a long port search without failures: the even half of the range is full', () => {
    const scenario = quiet();
    const r = result(scenario, { clients: [client({ host: 'client', target: 'server:9001', connect_probes: { p50: 6, p99: 14137, max: 28232 } })] });
    assert.equal(
      sentence(says(r, scenario), 'connect() on client'),
      'connect() on client looked at 14 137 ports at p99 of a 28 232-port range: Linux tries ports of one parity first, so once that half of the range is taken ' +
        'every connect() scans past it before it finds a free port. That search is CPU time the kernel spends on every new connection.',
    );
  });

  it('connections that neither completed nor failed are not called a success', () => {
    const scenario = quiet();
    const r = result(scenario, { clients: [client({ host: 'client', target: 'server:9001', attempted: 10, completed: 4 })] });
    assert.deepEqual(says(r, scenario), [
      'No errors counted, and 4 of 10 client connections completed; the other 6 did not finish (still open at the end of the run, or closed before the exchange was done).',
    ]);
  });

  it('short searches are not mentioned', () => {
    const scenario = quiet();
    const r = result(scenario, { clients: [client({ host: 'client', target: 'server:9001', connect_probes: { p50: 1, p99: 999, max: 5000 } })] });
    assert.ok(!says(r, scenario).some((s) => s.includes('looked at')));
  });
});
