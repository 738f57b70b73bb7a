import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from './load.js';
import { applySetting, applySettings, checkOnce, OverrideError, parseSetting, runSettings, type Setting } from './overrides.js';
import type { Scenario } from './types.js';

const TEXT = `
name: small
kernel: linux-6.18
duration: 5s
hosts:
  client:
    address: 198.18.0.1
    sysctl: { net.ipv4.ip_local_port_range: "50000 50099" }
  server: { address: 198.18.0.2 }
servers:
  - { host: server, port: 9000 }
clients:
  - { host: client, target: server:9000, count: 10, rate: 100/s, start: 1s }
snapshots: [4s]
`;

const base = (): Scenario => parseScenario(TEXT, 'small.yaml');

function set(scenario: Scenario, text: string): Scenario {
  return applySetting(scenario, parseSetting('--set', text));
}

function problem(scenario: Scenario, text: string): string {
  try {
    set(scenario, text);
  } catch (e) {
    if (e instanceof OverrideError) return e.message;
    throw e;
  }
  assert.fail(`expected ${text} to be refused`);
}

describe('--set HOST.sysctl.NAME=VALUE', () => {
  it('sets the sysctl through the kernel profile, and records it as set', () => {
    const s = set(base(), 'client.sysctl.net.ipv4.tcp_tw_reuse=1');
    const client = s.hosts.find((h) => h.name === 'client');
    assert.equal(client?.sysctl.tcp_tw_reuse, 1);
    assert.equal(client?.sysctlSet['net.ipv4.tcp_tw_reuse'], '1');
    assert.deepEqual(client?.sysctl.ip_local_port_range, [50000, 50099], 'the file\'s other sysctls stay');
  });

  it('leaves the loaded scenario as it was', () => {
    const s = base();
    set(s, 'client.sysctl.net.ipv4.tcp_tw_reuse=1');
    assert.equal(s.hosts[0]?.sysctl.tcp_tw_reuse, 2);
  });

  it('one number for ip_local_port_range sets LO only, as sysctl -w does', () => {
    const s = set(base(), 'client.sysctl.net.ipv4.ip_local_port_range=50050');
    assert.deepEqual(s.hosts[0]?.sysctl.ip_local_port_range, [50050, 50099]);
  });

  it('a value the kernel refuses: one line with what is allowed', () => {
    assert.equal(
      problem(base(), 'client.sysctl.net.ipv4.tcp_tw_reuse=5'),
      '--set client.sysctl.net.ipv4.tcp_tw_reuse=5: 5 is out of range; allowed: an integer 0..2 (0 off, 1 on, 2 loopback only)',
    );
  });

  it('text is read as sysctl -w reads it: 010 is refused as octal', () => {
    assert.match(problem(base(), 'client.sysctl.net.ipv4.tcp_fin_timeout=010'), /which the kernel reads as octal \(8\)/);
  });

  it('a sysctl the kernel does not have', () => {
    assert.match(problem(base(), 'client.sysctl.net.ipv4.tcp_tw_recycle=1'), /^--set client\.sysctl\.net\.ipv4\.tcp_tw_recycle=1: does not exist on linux-6\.18 .*; allowed: only with kernel: linux-4\.4$/);
  });

  it('a short name gets the full one suggested', () => {
    assert.match(problem(base(), 'client.sysctl.tcp_tw_reuse=1'), /unknown sysctl \(did you mean net\.ipv4\.tcp_tw_reuse\?\)/);
  });

  it('an unknown host: the hosts are listed, a near miss suggested', () => {
    assert.equal(
      problem(base(), 'clinet.sysctl.net.ipv4.tcp_tw_reuse=1'),
      '--set clinet.sysctl.net.ipv4.tcp_tw_reuse=1: the scenario has no host "clinet" (did you mean client?); allowed: one of the hosts: client, server',
    );
  });
});

describe('--set HOST.what_if.timewait_len', () => {
  it('takes a duration, 0 included', () => {
    assert.equal(set(base(), 'server.what_if.timewait_len=0s').hosts[1]?.whatIf?.timewaitLen, 0);
    assert.equal(set(base(), 'server.what_if.timewait_len=1.5s').hosts[1]?.whatIf?.timewaitLen, 1_500_000);
  });

  it('refuses a number without a unit', () => {
    assert.match(problem(base(), 'server.what_if.timewait_len=5'), /^--set server\.what_if\.timewait_len=5: 5 has no unit; allowed: a number with a unit/);
  });
});

describe('--set clients[N].KEY, servers[N].KEY', () => {
  it('rate as a file writes it, serial too', () => {
    assert.deepEqual(set(base(), 'clients[0].rate=500/s').clients[0]?.rate, { kind: 'open', perSecond: 500 });
    assert.deepEqual(set(base(), 'clients[0].rate=serial').clients[0]?.rate, { kind: 'serial' });
  });

  it('names map to the model: request_bytes, close, linger', () => {
    const s = applySettings(base(), ['clients[0].request_bytes=300', 'servers[0].close=never', 'servers[0].linger=0'].map((t) => parseSetting('--set', t)));
    assert.equal(s.clients[0]?.requestBytes, 300);
    assert.equal(s.servers[0]?.close, 'never');
    assert.deepEqual(s.servers[0]?.linger, { on: true, timeout: 0 });
  });

  it('a bad value, an index out of range, a key that cannot change', () => {
    assert.match(problem(base(), 'clients[0].rate=fast'), /"fast" is not a rate; allowed: N\/s/);
    assert.equal(problem(base(), 'clients[1].rate=1/s'), '--set clients[1].rate=1/s: the scenario has only clients[0]; allowed: an index from 0 to 0');
    assert.match(problem(base(), 'clients[0].target=server:1'), /clients\[N\]\.target cannot be set from the command line; allowed: clients\[N\]\.KEY with KEY one of rate, count/);
    assert.match(problem(base(), 'proxies[0].keepalive=1'), /the scenario has no proxies/);
  });
});

describe('seed and duration', () => {
  it('--seed and --duration are settings too', () => {
    const s = applySettings(base(), runSettings('42', '4s'));
    assert.equal(s.seed, 42);
    assert.equal(s.duration, 4_000_000);
  });

  it('the seed is a decimal integer', () => {
    assert.equal(problem(base(), 'seed=abc'), '--set seed=abc: "abc" is not an integer; allowed: an integer from 0 to 4294967295');
    assert.match(problem(base(), 'seed=-1'), /-1 is negative/);
  });

  it('a shorter run drops the snapshots after its end, and says so', () => {
    const notes: string[] = [];
    const s = applySettings(base(), [parseSetting('--set', 'duration=3s')], notes);
    assert.equal(s.duration, 3_000_000);
    assert.deepEqual(s.snapshots, []);
    assert.deepEqual(notes, ['--set duration=3s: dropped the snapshot at 4s, after the end of the run (3s)']);
  });

  it('snapshots up to the end stay, and nothing is said', () => {
    const notes: string[] = [];
    const s = applySettings({ ...base(), snapshots: [1_000_000, 4_000_000, 4_500_000] }, runSettings(undefined, '4s'), notes);
    assert.deepEqual(s.snapshots, [1_000_000, 4_000_000]);
    assert.deepEqual(notes, ['--duration: dropped the snapshot at 4.5s, after the end of the run (4s)']);
    assert.deepEqual(applySettings(base(), runSettings(undefined, '4s'), notes).snapshots, [4_000_000]);
    assert.equal(notes.length, 1);
  });

  it('a run that ends before a workload starts is refused with the shortest duration that keeps it', () => {
    assert.equal(problem(base(), 'duration=1s'), '--set duration=1s: 1s cuts off clients[0], which starts at 1s; allowed: a duration longer than 1s, the latest start of a client');
    const two = { ...base(), clients: [...base().clients, { ...base().clients[0]!, start: 2_500_000 }] };
    assert.equal(problem(two, 'duration=500ms'), '--set duration=500ms: 500ms cuts off clients[0] and clients[1], which start at 1s and 2.5s; allowed: a duration longer than 2.5s, the latest start of a client');
    assert.match(problem(base(), 'duration=0s'), /"0s" is zero/);
  });
});

describe('each key once', () => {
  const once = (...settings: Setting[]): string => {
    try {
      checkOnce(settings);
    } catch (e) {
      if (e instanceof OverrideError) return e.message;
      throw e;
    }
    return 'accepted';
  };

  it('--seed and --set seed, --duration and --set duration: refused, both named', () => {
    assert.equal(once(...runSettings('3', undefined), parseSetting('--set', 'seed=5')), '--set seed=5: seed is already given by --seed 3; allowed: each key once');
    assert.equal(once(...runSettings(undefined, '1s'), parseSetting('--set', 'duration=3s')), '--set duration=3s: duration is already given by --duration 1s; allowed: each key once');
  });

  it('one key in two --set, however the index is written', () => {
    assert.equal(once(parseSetting('--set', 'clients[0].rate=1/s'), parseSetting('--set', 'clients[00].rate=2/s')), '--set clients[00].rate=2/s: clients[0].rate is already given by --set clients[0].rate=1/s; allowed: each key once');
  });

  it('different keys are fine', () => {
    assert.equal(once(...runSettings('3', '1s'), parseSetting('--set', 'clients[0].rate=1/s'), parseSetting('--set', 'clients[1].rate=1/s')), 'accepted');
  });
});

describe('the KEY=VALUE syntax', () => {
  it('splits at the first "=": values may contain "=" and spaces', () => {
    assert.deepEqual(parseSetting('--set', 'client.sysctl.net.ipv4.ip_local_port_range=40000 40999'), {
      key: 'client.sysctl.net.ipv4.ip_local_port_range',
      value: '40000 40999',
      label: '--set client.sysctl.net.ipv4.ip_local_port_range=40000 40999',
    });
  });

  it('no "=", no key, an unknown key', () => {
    assert.throws(() => parseSetting('--set', 'seed'), /^OverrideError: --set seed: has no "=VALUE"; allowed: KEY=VALUE with KEY one of HOST\.sysctl\.NAME/);
    assert.throws(() => parseSetting('--set', '=1'), /has no KEY before "="/);
    assert.match(problem(base(), 'sed=1'), /unknown key "sed" \(did you mean seed\?\)/);
    assert.match(problem(base(), 'clients.rate=1/s'), /"clients\.rate" has no index; allowed: clients\[N\]\.KEY/);
  });
});
