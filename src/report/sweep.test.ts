import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RESULT_FORMAT, type Result } from '../sim/result.js';
import { renderSweep, shortKey, type SweepRow } from './sweep.js';

function run(failed: number, timewait: number, p99: number): Result {
  return {
    format: RESULT_FORMAT,
    engine: 'simulate',
    scenario: 'burst',
    kernel: 'linux-6.18',
    seed: 1,
    simulated_seconds: 2,
    clients: [
      {
        host: 'client',
        target: 'server:9000',
        attempted: 150,
        connected: 150 - failed,
        completed: 150 - failed,
        errors: { EADDRNOTAVAIL: failed, ECONNREFUSED: 0, ETIMEDOUT: 0, ECONNRESET: 0 },
        errors_first_s: {},
        connect_ms: { p50: 0.1, p99: 0.1, max: 0.1 },
        connect_probes: { p50: 1, p99, max: p99 },
      },
    ],
    proxies: [],
    hosts: {
      client: { states_end: {}, states_peak: { TIME_WAIT: timewait }, mib: {}, timewait_memory_bytes_peak: 0, bind_buckets_peak: 0 },
      server: { states_end: {}, states_peak: {}, mib: {}, timewait_memory_bytes_peak: 0, bind_buckets_peak: 0 },
    },
    snapshots: [],
    integrity: null,
    series: { interval_s: 1, t: [], hosts: {} },
  };
}

const rows: SweepRow[] = [
  { vary: { 'client.sysctl.net.ipv4.tcp_tw_reuse': '0' }, result: run(50, 100, 100) },
  { vary: { 'client.sysctl.net.ipv4.tcp_tw_reuse': '1' }, result: run(0, 150, 3) },
];

describe('sweep table', () => {
  const text = renderSweep(rows);
  const lines = text.trimEnd().split('\n');

  it('a group line, a heading line, one row per variant in the given order', () => {
    assert.deepEqual(lines, [
      '                     client → server:9000                     TIME_WAIT peak',
      'client tcp_tw_reuse  connected  errors            probes p99          client',
      '0                      100/150  50 EADDRNOTAVAIL         100             100',
      '1                      150/150  none                       3             150',
    ]);
  });

  it('hosts that never held TIME_WAIT get no column', () => {
    assert.ok(!text.includes('server  '), text);
  });

  it('errors in red on a terminal only', () => {
    assert.ok(!text.includes('\x1b['));
    assert.ok(renderSweep(rows, { color: true }).includes('\x1b[31m50 EADDRNOTAVAIL'));
  });

  it('CLOSE_WAIT and FIN_WAIT_2 peaks, for the hosts that had them: the close-wait leak and its fix tell apart', () => {
    const leak = run(0, 0, 1);
    leak.hosts.server!.states_peak = { CLOSE_WAIT: 50 };
    leak.hosts.client!.states_peak = { FIN_WAIT_2: 50 };
    const fixed = run(0, 50, 1);
    const t = renderSweep([
      { vary: { 'servers[0].close': 'never' }, result: leak },
      { vary: { 'servers[0].close': 'after-peer' }, result: fixed },
    ]).split('\n');
    assert.match(t[0] ?? '', /TIME_WAIT peak +CLOSE_WAIT peak +FIN_WAIT_2 peak$/);
    assert.match(t[1] ?? '', / client +server +client$/);
    assert.match(t[2] ?? '', /^never .* 0 +50 +50$/);
    assert.match(t[3] ?? '', /^after-peer .* 50 +0 +0$/);
  });

  it('the integrity oracle, only when some variant has a count; what_if said to be not Linux; shared --set said', () => {
    const stale = run(0, 1, 0);
    stale.integrity = { stale_segments_accepted: 1, stale_bytes_accepted: 285, resets_from_stale_state: 0 };
    stale.what_if = { client: { timewait_len: '0s' } };
    const clean = run(0, 1, 0);
    clean.integrity = { stale_segments_accepted: 0, stale_bytes_accepted: 0, resets_from_stale_state: 0 };
    clean.what_if = { client: { timewait_len: '60s' } };
    const t = renderSweep(
      [
        { vary: { 'client.what_if.timewait_len': '0s' }, result: stale },
        { vary: { 'client.what_if.timewait_len': '60s' }, result: clean },
      ],
      { settings: ['seed=7'] },
    );
    assert.match(t, /integrity\n/);
    assert.match(t, /stale segments +stale bytes\n/);
    assert.ok(!t.includes('stale-state RSTs'), 'no column that is zero in every variant');
    assert.match(t, /\n0s .* 1 +285\n60s .* 0 +0\n/);
    assert.match(t, /^Every variant: --set seed=7\.$/m);
    assert.match(t, /^Not Linux: client timewait_len is a simulator-only knob \(what_if\); no kernel has it\.$/m);
    assert.ok(!renderSweep(rows).includes('integrity'), 'none without the oracle');
    assert.ok(!renderSweep(rows).includes('Not Linux'));
  });

  it('keys are shortened to host and sysctl or knob', () => {
    assert.equal(shortKey('lb.sysctl.net.core.somaxconn'), 'lb somaxconn');
    assert.equal(shortKey('lb.what_if.timewait_len'), 'lb timewait_len');
    assert.equal(shortKey('clients[0].rate'), 'clients[0].rate');
  });
});
