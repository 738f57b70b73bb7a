import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/types.js';
import { faultRulesFor, faultVerdict, inLabNet, LabRefusal, netnsName, planLab, profileOfRelease, type LabPlan, type LabPlanOptions } from './plan.js';

const OPTIONS: LabPlanOptions = { runId: '1234xabcd', kernelRelease: '6.18.44-fc-v595', approximate: false, sockopts: true };

function scenario(body: string): Scenario {
  return parseScenario(`name: t\nduration: 2s\n${body}`, 'test');
}

function plan(body: string, options: Partial<LabPlanOptions> = {}): LabPlan {
  return planLab(scenario(body), { ...OPTIONS, ...options });
}

/** The problems a refused plan lists. */
function refusals(body: string, options: Partial<LabPlanOptions> = {}): string[] {
  try {
    plan(body, options);
  } catch (e) {
    if (e instanceof LabRefusal) return [...e.problems];
    throw e;
  }
  assert.fail('the plan was not refused');
}

const PAIR = `
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.ip_local_port_range: "50000 50099", net.ipv4.tcp_tw_reuse: 0 } }
  server: { address: 198.18.0.2 }
servers:
  - { host: server, port: 9000, close: after-peer }
clients:
  - { host: client, target: server:9000, count: 150, rate: serial, close: first }
`;

describe('lab plan: namespaces and veths', () => {
  it('one namespace per host, twlab-<runid>-<host>, and one veth pair per pair that talks', () => {
    const p = plan(PAIR);
    assert.deepEqual(
      p.hosts.map((h) => h.netns),
      ['twlab-1234xabcd-client', 'twlab-1234xabcd-server'],
    );
    assert.equal(p.veths.length, 1);
    const [a, b] = p.veths[0]!;
    assert.deepEqual(a, { host: 'client', netns: 'twlab-1234xabcd-client', dev: 'tw-1', address: '198.18.0.1' });
    assert.deepEqual(b, { host: 'server', netns: 'twlab-1234xabcd-server', dev: 'tw-0', address: '198.18.0.2' });
    assert.equal(netnsName('1234xabcd', 'db'), 'twlab-1234xabcd-db');
  });

  it('says that link delays are not emulated, even without links', () => {
    assert.ok(plan(PAIR).notes.some((n) => /not emulated/.test(n) && /50us/.test(n)));
  });

  it('remaps addresses outside 198.18.0.0/15 and says so; targets follow', () => {
    const p = plan(`
hosts:
  client: { address: 180.172.35.150 }
  lb: { address: 10.162.74.10 }
  web: { address: 198.19.0.1 }
servers:
  - { host: web, port: 80, close: after-peer }
proxies:
  - { host: lb, port: 80, upstreams: [198.19.0.1:80] }
clients:
  - { host: client, target: 10.162.74.10:80, count: 1, rate: serial }
`);
    assert.deepEqual(p.remapped, { client: { scenario: '180.172.35.150', lab: '198.19.0.2' }, lb: { scenario: '10.162.74.10', lab: '198.19.0.3' } });
    assert.ok(p.hosts.every((h) => inLabNet(h.address)));
    assert.equal(p.hosts[0]!.agent.clients[0]!.target.address, '198.19.0.3');
    assert.ok(p.notes.some((n) => n.includes('180.172.35.150 -> 198.19.0.2')));
  });

  it('a host behind a NAT reaches the outside through the NAT host, which masquerades', () => {
    const p = plan(`
hosts:
  c1: { address: 198.18.1.1 }
  c2: { address: 198.18.1.2 }
  nat1: { address: 198.18.0.254, nat: { inside: [c1, c2] } }
  server: { address: 198.18.0.2 }
servers:
  - { host: server, port: 80 }
clients:
  - { host: c1, target: server:80, count: 1, rate: serial }
  - { host: c2, target: server:80, count: 1, rate: serial }
`);
    const pairs = p.veths.map(([a, b]) => `${a.host}-${b.host}`).sort();
    assert.deepEqual(pairs, ['c1-nat1', 'c2-nat1', 'nat1-server']);
    const c1 = p.hosts.find((h) => h.name === 'c1')!;
    assert.deepEqual(c1.routes, [{ dst: '198.18.0.2', via: '198.18.0.254', dev: 'tw-2' }]);
    const nat = p.hosts.find((h) => h.name === 'nat1')!;
    assert.match(nat.nft, /ip saddr \{ 198\.18\.1\.1, 198\.18\.1\.2 \} oifname != \{ "tw-0", "tw-1" \} masquerade/);
    assert.ok(nat.agent.sysctls.some((s) => s.name === 'net.ipv4.ip_forward' && s.value === '1'));
  });
});

describe('lab plan: sysctls', () => {
  it('writes every per-namespace sysctl of the profile, the file\'s values and the defaults', () => {
    const client = plan(PAIR).hosts[0]!.agent.sysctls;
    const byName = new Map(client.map((s) => [s.name, s]));
    assert.equal(byName.get('net.ipv4.ip_local_port_range')?.value, '50000\t50099');
    assert.equal(byName.get('net.ipv4.ip_local_port_range')?.path, '/proc/sys/net/ipv4/ip_local_port_range');
    assert.equal(byName.get('net.ipv4.tcp_tw_reuse')?.value, '0');
    assert.equal(byName.get('net.ipv4.tcp_max_tw_buckets')?.value, '131072');
    assert.equal(byName.has('net.ipv4.tcp_max_orphans'), false, 'host-wide: never written');
  });

  it('refuses a host-wide sysctl the file sets, and skips it with --approximate', () => {
    const body = PAIR.replace('net.ipv4.tcp_tw_reuse: 0', 'net.ipv4.tcp_max_orphans: 100');
    assert.match(refusals(body).join('\n'), /hosts\.client\.sysctl\.net\.ipv4\.tcp_max_orphans: .* host-wide .* never writes host sysctls/);
    assert.ok(plan(body, { approximate: true }).notes.some((n) => /tcp_max_orphans not set/.test(n)));
  });
});

describe('lab plan: what this kernel cannot honour', () => {
  it('refuses every such key at once, each by name', () => {
    const problems = refusals(`
kernel: linux-4.4
hosts:
  client: { address: 198.18.0.1, what_if: { timewait_len: 0s } }
  server: { address: 198.18.0.2 }
links:
  - { between: [client, server], delay: 15ms, loss: 0.01 }
faults:
  - { from: client, flags: A, sender_state: TIME_WAIT, action: drop }
  - { from: server, action: { delay: 1s } }
servers:
  - { host: server, port: 9000 }
clients:
  - { host: client, target: server:9000, count: 1, rate: serial }
`);
    const text = problems.join('\n');
    assert.match(text, /^kernel: the scenario asks for the linux-4\.4 profile; this machine runs 6\.18\.44/m);
    assert.match(text, /links\[0\]\.delay: 15ms .* sch_netem/);
    assert.match(text, /links\[0\]\.loss: 0\.01/);
    assert.match(text, /hosts\.client\.what_if\.timewait_len: a simulator-only knob/);
    assert.match(text, /faults\[0\]\.sender_state: .*\(TIME_WAIT\)/);
    assert.match(text, /faults\[1\]\.action: delay 1s cannot be done by nftables/);
  });

  it('with --approximate runs them and lists each approximation', () => {
    const p = plan(
      `
hosts:
  client: { address: 198.18.0.1 }
  server: { address: 198.18.0.2 }
links:
  - { between: [client, server], delay: 15ms, loss: 0.01 }
servers:
  - { host: server, port: 9000 }
clients:
  - { host: client, target: server:9000, count: 1, rate: serial }
`,
      { approximate: true },
    );
    assert.ok(p.notes.some((n) => /approximated: links\[0\]\.delay 15ms not emulated/.test(n)));
    assert.ok(p.notes.some((n) => /approximated: links\[0\]\.loss 0\.01 as an nftables random drop/.test(n)));
    assert.match(p.hosts[1]!.nft, /iifname "tw-0" meta l4proto tcp numgen random mod 1000000 < 10000 counter drop/);
  });

  it('a kernel without a twlab profile is named', () => {
    assert.match(refusals(PAIR, { kernelRelease: '6.12.1' }).join('\n'), /runs 6\.12\.1 \(no twlab profile\)/);
    assert.equal(profileOfRelease('6.18.44-fc-v595'), 'linux-6.18');
    assert.equal(profileOfRelease('4.4.302'), 'linux-4.4');
    assert.equal(profileOfRelease('6.1.0'), null);
  });

  it('socket options Node lacks are refused by key when the FFI (koffi) is missing', () => {
    const body = PAIR.replace('close: first }', 'close: first, bind: "198.18.0.1:40000", reuseaddr: false, reuseport: true, linger: 5s }');
    const text = refusals(body, { sockopts: false }).join('\n');
    assert.match(text, /clients\[0\]\.reuseaddr: Node's net always sets SO_REUSEADDR when it binds/);
    assert.match(text, /clients\[0\]\.reuseport: .* koffi/);
    assert.match(text, /clients\[0\]\.linger: Node's net cannot set SO_LINGER with a timeout/);
    // With the FFI the client socket is built through it; bind + SO_REUSEADDR alone does not need it.
    assert.equal(plan(body.replace(', linger: 5s', '')).hosts[0]!.agent.clients[0]!.raw, true);
    assert.equal(plan(body.replace('reuseaddr: false, reuseport: true, linger: 5s', 'reuseaddr: true'), { sockopts: false }).hosts[0]!.agent.clients[0]!.raw, false);
  });

  it('a target that is no host of the scenario is refused: lab talks only to its namespaces', () => {
    assert.match(refusals(PAIR.replace('target: server:9000', 'target: 198.18.5.5:9000')).join('\n'), /clients\[0\]\.target: 198\.18\.5\.5 is no host/);
  });
});

describe('lab plan: workloads', () => {
  it('a client knows the response length through proxies; listeners learn request lengths by framing', () => {
    const p = plan(`
hosts:
  c: { address: 198.18.0.1 }
  d: { address: 198.18.0.4 }
  lb: { address: 198.18.0.2 }
  db: { address: 198.18.0.3 }
servers:
  - { host: db, port: 3306, response_bytes: 2000 }
proxies:
  - { host: lb, port: 80, upstreams: [db:3306] }
clients:
  - { host: c, target: lb:80, count: 1, rate: serial, request_bytes: 300 }
  - { host: d, target: lb:80, count: 1, rate: serial, request_bytes: 20 }
`);
    const host = (n: string) => p.hosts.find((h) => h.name === n)!.agent;
    assert.equal(host('c').clients[0]!.responseBytes, 2000);
    assert.deepEqual(host('lb').proxies[0]!.framing, { kind: 'framed' });
    assert.deepEqual(host('db').servers[0]!.framing, { kind: 'framed' });
    assert.equal(host('lb').proxies[0]!.upstreams[0]!.responseBytes, 2000);
  });

  it('requests of one length need no header; mixed lengths below 4 bytes are refused', () => {
    assert.deepEqual(plan(PAIR).hosts[1]!.agent.servers[0]!.framing, { kind: 'fixed', bytes: 0 });
    const mixed = PAIR.replace('close: first }', 'close: first, request_bytes: 2 }\n  - { host: client, target: server:9000, count: 1, rate: serial }');
    assert.match(refusals(mixed).join('\n'), /servers\[0\]: its senders send requests of 0, 2 bytes/);
  });
});

describe('lab plan: faults as nftables drops where the hop ends', () => {
  it('exact flags, payload by header lengths, and the nth match counted in one chain', () => {
    const f = { from: 'client', to: 'server', flags: 'A', payload: false, nth: 2, action: { kind: 'drop' as const } };
    const rules = faultRulesFor(f, 0, 'tw-0', '198.18.0.1', '198.18.0.2');
    assert.equal(rules.length, 11);
    assert.equal(
      rules[3],
      'iifname "tw-0" ip saddr 198.18.0.1 ip daddr 198.18.0.2 meta l4proto tcp tcp flags & (fin|syn|rst|psh|ack) == ack ip hdrlength 5 tcp doff 8 ip length == 52 jump fault0',
    );
    assert.equal(faultVerdict(f), 'numgen inc mod 2147483647 == 1 counter drop');
    assert.equal(faultVerdict({ ...f, nth: undefined, count: 3 }), 'numgen inc mod 2147483647 < 3 counter drop');
    assert.deepEqual(faultRulesFor({ from: 'a', flags: 'SA', action: { kind: 'drop' } }, 1, 'tw-0', '198.18.0.1', undefined), [
      'iifname "tw-0" ip saddr 198.18.0.1 meta l4proto tcp tcp flags & (fin|syn|rst|psh|ack) == syn|ack jump fault1',
    ]);
  });

  it('the rule sits in the receiver\'s namespace, with its chain', () => {
    const p = plan(`${PAIR}faults:\n  - { from: client, to: server, flags: F, nth: 1, action: drop }\n`);
    const server = p.hosts[1]!;
    assert.match(server.nft, /chain prerouting \{\n\s+type filter hook prerouting priority raw; policy accept;\n\s+iifname "tw-0" ip saddr 198\.18\.0\.1 ip daddr 198\.18\.0\.2 .* == fin jump fault0/);
    assert.match(server.nft, /chain fault0 \{\n\s+numgen inc mod 2147483647 == 0 counter drop/);
    assert.equal(p.hosts[0]!.nft, '');
  });
});
