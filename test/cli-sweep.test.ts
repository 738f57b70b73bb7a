// `twlab sweep`, `simulate --set` and `twlab schema` end to end, as a user runs them.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, twlab } from './cli-helpers.js';

const GRID = ['sweep', 'small-range-burst', '--vary', 'client.sysctl.net.ipv4.tcp_tw_reuse=0,1', '--vary', 'seed=1,2'];

describe('twlab sweep', () => {
  it('a 2 x 2 grid: one table row per variant, the first --vary slowest', () => {
    const r = twlab(...GRID);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no progress off a terminal');
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /client → 198\.18\.0\.2:9000 +TIME_WAIT peak$/);
    assert.match(lines[1] ?? '', /^client tcp_tw_reuse {2}seed {2}connected {2}errors +probes p99 +client$/);
    assert.deepEqual(lines.slice(2).map((l) => l.split(/\s+/).slice(0, 2)), [['0', '1'], ['0', '2'], ['1', '1'], ['1', '2']]);
  });

  it('--json: an array of { vary, result }, the same whatever --jobs is', () => {
    const one = twlab(...GRID, '--json', '--jobs', '1');
    const four = twlab(...GRID, '--json', '--jobs', '4');
    assert.equal(one.code, 0, one.stderr);
    assert.equal(four.stdout, one.stdout);
    const rows = JSON.parse(one.stdout) as { vary: Record<string, string>; result: { format: string; seed: number } }[];
    assert.deepEqual(rows.map((r) => r.vary), [
      { 'client.sysctl.net.ipv4.tcp_tw_reuse': '0', seed: '1' },
      { 'client.sysctl.net.ipv4.tcp_tw_reuse': '0', seed: '2' },
      { 'client.sysctl.net.ipv4.tcp_tw_reuse': '1', seed: '1' },
      { 'client.sysctl.net.ipv4.tcp_tw_reuse': '1', seed: '2' },
    ]);
    assert.deepEqual(rows.map((r) => [r.result.format, r.result.seed]), [['twlab-result/1', 1], ['twlab-result/1', 2], ['twlab-result/1', 1], ['twlab-result/1', 2]]);
  });

  it('a variant equals simulate with the same settings', () => {
    const sweep = JSON.parse(twlab('sweep', 'small-range-burst', '--vary', 'clients[0].count=120', '--json').stdout) as { result: unknown }[];
    const simulate = JSON.parse(twlab('simulate', 'small-range-burst', '--set', 'clients[0].count=120', '--json').stdout) as unknown;
    assert.deepEqual(sweep[0]?.result, simulate);
  });

  for (const [args, message] of [
    [['small-range-burst'], /^twlab: sweep needs at least one --vary KEY=V1,V2/m],
    [['--vary', 'seed=1'], /^twlab: sweep needs a scenario/m],
    [['small-range-burst', '--vary', 'client.sysctl.net.ipv4.tcp_tw_reuse=0,5'], /^twlab: --vary client\.sysctl\.net\.ipv4\.tcp_tw_reuse=5: 5 is out of range; allowed: an integer 0\.\.2/m],
    [['small-range-burst', '--vary', 'seed=1', '--vary', 'seed=2'], /^twlab: --vary seed is given twice/m],
    [['small-range-burst', '--vary', 'seed=1', '--set', 'client.sysctl.net.ipv4.tcp_tw_reuse=1', '--set', 'client.sysctl.net.ipv4.tcp_tw_reuse=0'], /^twlab: --set client\.sysctl\.net\.ipv4\.tcp_tw_reuse=0: client\.sysctl\.net\.ipv4\.tcp_tw_reuse is already given by --set client\.sysctl\.net\.ipv4\.tcp_tw_reuse=1; allowed: each key once$/m],
    [['stale-segment', '--vary', 'duration=50ms,1s'], /^twlab: --vary duration=50ms: 50ms cuts off clients\[1\], which starts at 100ms; allowed: a duration longer than 100ms, the latest start of a client$/m],
    [['small-range-burst', '--vary', 'seed=1', '--jobs', '0'], /^twlab: --jobs: 0 is too small; allowed: an integer from 1 to 64$/m],
    [['small-range-burst', '--vary', 'nohost.sysctl.net.ipv4.tcp_tw_reuse=1'], /^twlab: --vary nohost\.sysctl\.net\.ipv4\.tcp_tw_reuse=1: the scenario has no host "nohost"; allowed: one of the hosts: client, server$/m],
  ] as const) {
    it(`usage error: sweep ${args.join(' ')}`, () => {
      const r = twlab('sweep', ...args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.match(r.stderr, /\(twlab sweep --help explains the usage\)/);
    });
  }
});

describe('twlab sweep --vary duration', () => {
  it('drops the snapshots after a variant\'s end, with one note per variant that loses some', () => {
    const r = twlab('sweep', 'close-wait-leak', '--vary', 'duration=2s,8s', '--jobs', '1', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'twlab: --vary duration=2s: dropped the snapshot at 7s, after the end of the run (2s)\n');
    const rows = JSON.parse(r.stdout) as { result: { snapshots: { t: number }[] } }[];
    assert.deepEqual(rows.map((row) => row.result.snapshots.map((s) => s.t)), [[1], [1, 7]]);
  });
});

describe('twlab simulate --set', () => {
  it('the change reaches the run and the report names it', () => {
    const r = twlab('simulate', 'small-range-burst', '--set', 'client.sysctl.net.ipv4.ip_local_port_range=50000 50199');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Changed on the command line: client\.sysctl\.net\.ipv4\.ip_local_port_range=50000 50199$/m);
    assert.match(r.stdout, /^ {2}attempted 150, connected 150, completed 150$/m);
  });

  it('the report says what happened, before the tables', () => {
    const r = twlab('simulate', 'small-range-burst');
    assert.equal(r.code, 0, r.stderr);
    const at = r.stdout.indexOf('What happened\n');
    assert.ok(at > 0 && at < r.stdout.indexOf('Client client'), r.stdout);
    assert.match(r.stdout, /^ {2}- client ran out of local ports to 198\.18\.0\.2:9000 \(server\)/m);
  });

  it('a bad --set: one line naming it, exit 2', () => {
    const r = twlab('simulate', 'small-range-burst', '--set', 'client.sysctl.net.ipv4.tcp_tw_recycle=1');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^twlab: --set client\.sysctl\.net\.ipv4\.tcp_tw_recycle=1: does not exist on linux-6\.18 \(removed in 4\.12\); allowed: only with kernel: linux-4\.4$/m);
  });
});

describe('twlab schema', () => {
  it('prints the committed schema/scenario-v1.schema.json', () => {
    const r = twlab('schema');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(repoRoot(), 'schema/scenario-v1.schema.json'), 'utf8'));
  });

  it('help explains the editor set-up', () => {
    const r = twlab('help', 'schema');
    assert.match(r.stdout, /yaml-language-server: \$schema=/);
    assert.match(r.stdout, /yaml\.schemas/);
  });
});
