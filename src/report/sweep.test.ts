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

  it('keys are shortened to host and sysctl or knob', () => {
    assert.equal(shortKey('lb.sysctl.net.core.somaxconn'), 'lb somaxconn');
    assert.equal(shortKey('lb.what_if.timewait_len'), 'lb timewait_len');
    assert.equal(shortKey('clients[0].rate'), 'clients[0].rate');
  });
});
