import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ScenarioError } from './errors.js';
import { loadScenarioFile, parseScenario } from './load.js';
import { MAX_NODES_READ, sectionJson } from './reader.js';
import { SCENARIO } from './schema.js';
import { repoRoot } from '../paths.js';

const ROOT = repoRoot();
const MALFORMED = join(ROOT, 'test/scenarios/malformed');
const VALID = join(ROOT, 'test/scenarios/valid');

/** The public sample scenarios: in the package's scenarios/ or the shared spec folder next to the repo. */
function sampleScenario(name: string): string {
  const candidates = [join(ROOT, 'scenarios', name), resolve(ROOT, '../shared/scenarios', name)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) assert.fail(`sample ${name} not found in ${candidates.join(' or ')}`);
  return found;
}

function scenarioError(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  assert.fail('expected a ScenarioError');
}

const MINIMAL = `
name: minimal
duration: 5s
hosts:
  client: { address: 198.18.0.1 }
  server: { address: 198.18.0.2 }
servers:
  - { host: server, port: 8081 }
clients:
  - { host: client, target: server:8081, count: 10, rate: 100/s }
`;

describe('malformed scenarios: one line FILE:LINE:COL: KEY: problem; allowed: WHAT', () => {
  // Each fixture's first line is `# expect: FILE:LINE:COL: KEY: ...` with the exact message.
  const files = readdirSync(MALFORMED).filter((f) => f.endsWith('.yaml')).sort();

  it('has a fixture per case', () => {
    assert.ok(files.length >= 20, `only ${files.length} fixtures`);
  });

  for (const file of files) {
    it(file, () => {
      const path = join(MALFORMED, file);
      const header = readFileSync(path, 'utf8').split('\n')[0] ?? '';
      assert.match(header, /^# expect: FILE:\d+:\d+: /, 'fixture header');
      const expected = path + header.slice('# expect: FILE'.length);

      const error = scenarioError(() => loadScenarioFile(path));
      assert.equal(error.message, expected);
      assert.ok(!/[\r\n]/.test(error.message), 'one line');
      const [, line, col, key] = /^FILE:(\d+):(\d+): (.+?): /.exec(header.slice('# expect: '.length)) ?? [];
      assert.equal(error.position?.line, Number(line));
      assert.equal(error.position?.col, Number(col));
      assert.equal(error.key, key);
      assert.ok(error.allowed.length > 0);
    });
  }
});

describe('files', () => {
  it('a missing file is one line without a position', () => {
    const path = join(MALFORMED, 'does-not-exist.yaml');
    const error = scenarioError(() => loadScenarioFile(path));
    assert.equal(error.message, `${path}: (file): cannot be read (no such file); allowed: a readable scenario YAML file`);
  });

  it('a directory is refused', () => {
    const error = scenarioError(() => loadScenarioFile(MALFORMED));
    assert.equal(error.message, `${MALFORMED}: (file): cannot be read (it is a directory); allowed: a readable scenario YAML file`);
  });

  it('parseScenario names the given source in messages and in the result', () => {
    assert.equal(parseScenario(MINIMAL, 'builtin:minimal').source, 'builtin:minimal');
    const error = scenarioError(() => parseScenario('name: x\n', 'builtin:x'));
    assert.match(error.message, /^builtin:x:1:1: duration: required key is missing; /);
  });
});

describe('sample scenarios', () => {
  it('article-lb.yaml: five hosts, proxies resolved to addresses', () => {
    const s = loadScenarioFile(sampleScenario('article-lb.yaml'));
    assert.equal(s.name, 'article-lb');
    assert.equal(s.duration, 90_000_000);
    assert.deepEqual(
      s.hosts.map((h) => h.name),
      ['client', 'lb', 'web1', 'web2', 'db'],
    );
    assert.deepEqual(s.hosts[0]?.sysctl.ip_local_port_range, [1024, 65535]);
    assert.deepEqual(s.hosts[0]?.sysctlSet, { 'net.ipv4.ip_local_port_range': '1024 65535' });
    assert.equal(s.links[0]?.delay, 15_000);
    assert.deepEqual(s.clients[0]?.target, { address: '10.162.74.10', port: 80, host: 'lb', text: 'lb:80' });
    assert.deepEqual(s.clients[0]?.rate, { kind: 'open', perSecond: 1000 });
    assert.deepEqual(
      s.proxies[0]?.upstreams.map((u) => `${u.host}=${u.address}:${u.port}`),
      ['web1=10.162.74.43:80', 'web2=10.162.74.44:80'],
    );
    assert.equal(s.servers[0]?.responseBytes, 2000);
    assert.equal(s.series, 1_000_000);
  });

  it('close-wait-leak.yaml: serial client, server that never closes, snapshots', () => {
    const s = loadScenarioFile(sampleScenario('close-wait-leak.yaml'));
    assert.equal(s.seed, 3);
    assert.equal(s.servers[0]?.close, 'never');
    assert.deepEqual(s.clients[0]?.rate, { kind: 'serial' });
    assert.deepEqual(s.snapshots, [1_000_000, 7_000_000]);
    assert.deepEqual(s.hosts[0]?.sysctlSet, { 'net.ipv4.tcp_fin_timeout': 5 });
  });

  it('small-range-burst.yaml: address target, record_ports', () => {
    const s = loadScenarioFile(sampleScenario('small-range-burst.yaml'));
    assert.deepEqual(s.clients[0]?.target, { address: '198.18.0.2', port: 9000, text: '198.18.0.2:9000' });
    assert.equal(s.clients[0]?.recordPorts, true);
    assert.deepEqual(s.hosts[0]?.sysctl.ip_local_port_range, [50000, 50099]);
  });
});

describe('defaults', () => {
  it('fills in what the file leaves out', () => {
    const s = parseScenario(MINIMAL, 'minimal.yaml');
    assert.equal(s.kernel, 'linux-6.18');
    assert.equal(s.seed, 1);
    assert.equal(s.series, 1_000_000);
    assert.equal(s.description, undefined);
    assert.deepEqual(s.links, []);
    assert.deepEqual(s.faults, []);
    assert.deepEqual(s.proxies, []);
    assert.deepEqual(s.snapshots, []);
    assert.deepEqual(s.hosts[0]?.sysctlSet, {});
    assert.equal(s.hosts[0]?.nat, undefined);
    assert.equal(s.hosts[0]?.whatIf, undefined);
    assert.deepEqual(s.servers[0], { host: 'server', port: 8081, close: 'after-peer', linger: { on: false }, responseBytes: 0, backlog: 4096 });
    assert.deepEqual(s.clients[0], {
      host: 'client',
      target: { address: '198.18.0.2', port: 8081, host: 'server', text: 'server:8081' },
      count: 10,
      rate: { kind: 'open', perSecond: 100 },
      start: 0,
      close: 'first',
      hold: 0,
      requestBytes: 0,
      linger: { on: false },
      bind: null,
      reuseaddr: false,
      recordPorts: false,
      reuseport: false,
      bindAddressNoPort: false,
    });
  });

  it('links default to 50us one way, no jitter, no loss', () => {
    const s = parseScenario(`${MINIMAL}links: [{ between: [client, server] }]\n`, 'x');
    assert.deepEqual(s.links, [{ between: ['client', 'server'], delay: 50, jitter: 0, loss: 0, duplicate: 0, reorder: 0 }]);
  });

  it('proxies default to upstream_close first, no pool', () => {
    const s = parseScenario(`${MINIMAL}proxies: [{ host: server, port: 80, upstreams: [client:80] }]\n`, 'x');
    assert.equal(s.proxies[0]?.upstreamClose, 'first');
    assert.equal(s.proxies[0]?.keepalive, 0);
  });

  it('empty optional lists read as empty', () => {
    const s = parseScenario(`${MINIMAL}faults:\nsnapshots:\n`, 'x');
    assert.deepEqual(s.faults, []);
    assert.deepEqual(s.snapshots, []);
  });
});

describe('every key (test/scenarios/valid/everything.yaml)', () => {
  const s = loadScenarioFile(join(VALID, 'everything.yaml'));

  it('top level', () => {
    assert.equal(s.name, 'everything-v1');
    assert.equal(s.description, 'All keys at once.');
    assert.equal(s.kernel, 'linux-4.4');
    assert.equal(s.seed, 42);
    assert.equal(s.duration, 120_000_000);
    assert.equal(s.series, 250_000);
    assert.deepEqual(s.snapshots, [0, 500_000, 120_000_000], 'sorted, duplicates dropped');
  });

  it('hosts: sysctls of the profile, nat, what_if', () => {
    const [client, server, nat1, lb] = s.hosts;
    assert.deepEqual(client?.sysctlSet, {
      'net.ipv4.ip_local_port_range': '40000 40499',
      'net.ipv4.tcp_tw_reuse': 1,
      'net.ipv4.tcp_tw_recycle': 1,
    });
    assert.deepEqual(client?.sysctl.ip_local_port_range, [40000, 40499]);
    assert.deepEqual(server?.sysctlSet, {});
    assert.deepEqual(nat1?.nat, { inside: ['client'] });
    assert.deepEqual(lb?.whatIf, { timewaitLen: 0 });
  });

  it('links', () => {
    assert.deepEqual(s.links, [
      { between: ['client', 'nat1'], delay: 50, jitter: 10, loss: 0.01, duplicate: 0.005, reorder: 0 },
      { between: ['nat1', 'lb'], delay: 1500, jitter: 0, loss: 0, duplicate: 0, reorder: 0 },
      { between: ['lb', 'server'], delay: 50, jitter: 0, loss: 0, duplicate: 0, reorder: 0 },
    ]);
  });

  it('faults', () => {
    assert.deepEqual(s.faults, [
      { from: 'client', to: 'server', flags: 'AF', payload: false, senderState: 'TIME_WAIT', nth: 1, count: 1, action: { kind: 'drop' } },
      { from: 'server', action: { kind: 'delay', by: 30_000_000 } },
      { from: 'server', flags: 'R', action: { kind: 'duplicate_after', after: 500_000 } },
    ]);
  });

  it('servers', () => {
    assert.deepEqual(s.servers, [
      { host: 'server', port: 8081, close: 'never', linger: { on: true, timeout: 0 }, responseBytes: 2000, backlog: 128 },
      { host: 'server', port: 8082, close: 'after-peer', linger: { on: false }, responseBytes: 0, backlog: 4096 },
    ]);
  });

  it('clients, the second one through a << merge key', () => {
    const [first, merged, plain] = s.clients;
    assert.deepEqual(first, {
      host: 'client',
      target: { address: '198.18.1.10', port: 80, host: 'lb', text: 'lb:80' },
      count: 1200,
      rate: { kind: 'open', perSecond: 400 },
      start: 100_000,
      close: 'after-peer',
      hold: 1_000_000,
      requestBytes: 300,
      linger: { on: true, timeout: 5_000_000 },
      bind: { address: '0.0.0.0', port: 0 },
      reuseaddr: true,
      recordPorts: true,
      reuseport: false,
      bindAddressNoPort: false,
    });
    assert.deepEqual(merged, {
      ...first,
      target: { address: '198.18.0.2', port: 8082, text: '198.18.0.2:8082' },
      rate: { kind: 'serial' },
      bind: { address: '198.18.0.1', port: 40000 },
    });
    assert.deepEqual(plain?.target, { address: '192.0.2.99', port: 443, text: '192.0.2.99:443' }, 'an address target need not be a host');
    assert.deepEqual(plain?.rate, { kind: 'open', perSecond: 0.5 });
  });

  it('proxies', () => {
    assert.deepEqual(s.proxies, [
      {
        host: 'lb',
        port: 80,
        upstreams: [
          { address: '198.18.0.2', port: 8081, host: 'server', text: 'server:8081' },
          { address: '198.18.0.2', port: 8082, text: '198.18.0.2:8082' },
        ],
        upstreamClose: 'after-peer',
        keepalive: 8,
      },
      { host: 'lb', port: 81, upstreams: [{ address: '198.18.0.2', port: 8081, host: 'server', text: 'server:8081' }], upstreamClose: 'first', keepalive: 0 },
    ]);
  });
});

describe('YAML features and abuse', () => {
  it('anchors and aliases are followed', () => {
    const s = parseScenario(`${MINIMAL}snapshots: [&t 1s]\nlinks: [{ between: [client, server], delay: *t }]\n`, 'x');
    assert.equal(s.links[0]?.delay, 1_000_000);
    assert.deepEqual(s.snapshots, [1_000_000]);
  });

  it('`off` under %YAML 1.1 (where it reads as false) is still linger off', () => {
    const s = parseScenario(`%YAML 1.1\n---\n${MINIMAL.replace('port: 8081 }', 'port: 8081, linger: off }')}`, 'x');
    assert.deepEqual(s.servers[0]?.linger, { on: false });
  });

  it('a byte-order mark is fine', () => {
    assert.equal(parseScenario(`\uFEFF${MINIMAL}`, 'x').name, 'minimal');
  });

  it(`a merge-key bomb stops at ${MAX_NODES_READ} nodes, quickly`, () => {
    const levels = ['  - &m0 { host: client, target: server:8081, count: 1, rate: 1/s }'];
    for (let i = 1; i <= 12; i++) levels.push(`  - &m${i} { <<: [${Array(10).fill(`*m${i - 1}`).join(', ')}] }`);
    const text = MINIMAL.replace(/clients:[\s\S]*/, `clients:\n${levels.join('\n')}\n`);
    const started = process.hrtime.bigint();
    const error = scenarioError(() => parseScenario(text, 'bomb.yaml'));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.match(error.message, /expands to more than 1000000 YAML nodes/);
    assert.ok(ms < 5000, `took ${ms} ms`);
  });

  it('deep nesting is an error, not a crash', () => {
    const error = scenarioError(() => parseScenario(`name: ${'['.repeat(50_000)}`, 'deep.yaml'));
    assert.match(error.message, /^deep\.yaml(:\d+:\d+)?: \(yaml\): nests too deeply to read; /);
  });

  it('a << merge of the mapping itself is refused', () => {
    const error = scenarioError(() => parseScenario('name: x\nduration: 5s\nhosts: { c: &a { address: 10.0.0.1, <<: *a } }\n', 'x'));
    assert.match(error.message, /^x:3:\d+: hosts\.c\.<<: a << merge includes the mapping itself; /);
  });
});

describe('schema tables', () => {
  it('give a JSON Schema of the format', () => {
    const schema = sectionJson(SCENARIO) as { required: string[]; properties: Record<string, { default?: unknown }>; additionalProperties: boolean };
    assert.deepEqual(schema.required, ['name', 'duration', 'hosts']);
    assert.equal(schema.additionalProperties, false);
    assert.equal(schema.properties.kernel?.default, 'linux-6.18');
    assert.equal(schema.properties.series?.default, '1s');
    assert.doesNotThrow(() => JSON.stringify(schema));
  });
});
