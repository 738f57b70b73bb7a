// The exporter over real HTTP (node's fetch): what it serves parses as Prometheus text,
// concurrent scrapes are fine, a failing scrape is counted and answered, never fatal.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseListen } from '../../src/exporter/listen.js';
import { startExporter, type ExporterOptions, type RunningExporter } from '../../src/exporter/server.js';
import { observeDump } from '../../src/inspect/dump.js';
import { readHost } from '../../src/inspect/host.js';
import type { Observation } from '../../src/inspect/observation.js';
import { repoRoot } from '../cli-helpers.js';
import { parseExposition, sampleValue } from './prom-text.js';

const FIXTURES = join(repoRoot(), 'test/fixtures/inspect');
const FIXTURE = join(FIXTURES, 'ss-tanp.txt');
const fromFixture = (): Observation => observeDump(readFileSync(FIXTURE, 'utf8'), FIXTURE, Date.UTC(2026, 10, 27));

async function withExporter(options: Partial<ExporterOptions>, fn: (e: RunningExporter) => Promise<void>): Promise<void> {
  const e = await startExporter({ host: '127.0.0.1', port: 0, destinations: 0, now: Date.now, monotonicMs: () => performance.now(), ...options });
  try {
    await fn(e);
  } finally {
    await e.close();
  }
}

async function scrape(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
}

describe('exporter', () => {
  it('serves valid Prometheus text with the figures of the socket list', async () => {
    await withExporter({ observe: fromFixture }, async (e) => {
      const r = await scrape(e.url);
      assert.equal(r.status, 200);
      assert.equal(r.type, 'text/plain; version=0.0.4; charset=utf-8');
      const exp = parseExposition(r.body);
      assert.equal(sampleValue(exp, 'twlab_sockets', { state: 'TIME_WAIT', family: 'ipv4' }), 30);
      assert.equal(sampleValue(exp, 'twlab_sockets', { state: 'TIME_WAIT', family: 'ipv6' }), 3);
      assert.equal(sampleValue(exp, 'twlab_sockets', { state: 'CLOSE_WAIT', family: 'ipv4' }), 4);
      assert.equal(sampleValue(exp, 'twlab_orphaned_fin_wait_2_sockets'), 3);
      assert.equal(sampleValue(exp, 'twlab_timewait_sockets'), 36);
      assert.equal(sampleValue(exp, 'twlab_timewait_memory_bytes'), 36 * 256);
      assert.equal(sampleValue(exp, 'twlab_ip_local_port_range', { bound: 'low' }), 32768);
      assert.equal(sampleValue(exp, 'twlab_sysctl', { name: 'net.ipv4.tcp_tw_reuse' }), 2);
      assert.equal(sampleValue(exp, 'twlab_scrape_errors_total', { stage: 'read' }), 0);
      assert.equal(exp.types.get('twlab_scrape_errors_total'), 'counter');
      assert.ok(!exp.samples.some((s) => s.name.startsWith('twlab_destination_')), 'per-destination series are opt-in');
    });
  });

  it('reads the host as it does by default (no owner scan) and still counts orphaned FIN_WAIT_2 by their inode 0, in the timewait count too', async () => {
    // A /proc tree holding the captured /proc/net/tcp{,6}: 30 + 3 TIME_WAIT, 3 FIN_WAIT_2 with
    // inode 0 (orphans) and 2 with an inode (held by a process after shutdown()).
    const root = mkdtempSync(join(tmpdir(), 'twlab-exporter-proc-'));
    try {
      mkdirSync(join(root, 'net'));
      copyFileSync(join(FIXTURES, 'proc-net-tcp.txt'), join(root, 'net/tcp'));
      copyFileSync(join(FIXTURES, 'proc-net-tcp6.txt'), join(root, 'net/tcp6'));
      const observe = (): Observation => readHost({ now: Date.now, owners: false, sockets: 'proc', procRoot: root });
      await withExporter({ observe }, async (e) => {
        const exp = parseExposition((await scrape(e.url)).body);
        assert.equal(sampleValue(exp, 'twlab_sockets', { state: 'FIN_WAIT_2', family: 'ipv4' }), 5);
        assert.equal(sampleValue(exp, 'twlab_orphaned_fin_wait_2_sockets'), 3);
        assert.equal(sampleValue(exp, 'twlab_timewait_sockets'), 33 + 3);
        assert.equal(sampleValue(exp, 'twlab_timewait_memory_bytes'), 36 * 256);
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('--destinations N: port use for the N busiest destinations only', async () => {
    await withExporter({ observe: fromFixture, destinations: 2 }, async (e) => {
      const exp = parseExposition((await scrape(e.url)).body);
      const inUse = exp.samples.filter((s) => s.name === 'twlab_destination_ports_in_use');
      assert.deepEqual(
        inUse.map((s) => [s.labels['destination'], s.value]),
        [
          ['198.18.0.2:80', 20],
          ['198.18.0.2:9000', 10],
        ],
      );
      assert.equal(sampleValue(exp, 'twlab_destination_ports_free', { destination: '198.18.0.2:80', source: '198.18.0.1' }), 28232 - 20);
      assert.equal(sampleValue(exp, 'twlab_destination_sustainable_connections_per_second', { destination: '198.18.0.2:80', source: '198.18.0.1' }), 470.5);
    });
  });

  it('accept queues: the total and the fullest fill always; --listeners N: queue and backlog for the N fullest only', async () => {
    const capture = join(FIXTURES, 'ss-tanpe.txt');
    const observe = (): Observation => observeDump(readFileSync(capture, 'utf8'), capture, Date.UTC(2026, 10, 27));
    await withExporter({ observe }, async (e) => {
      const exp = parseExposition((await scrape(e.url)).body);
      assert.equal(sampleValue(exp, 'twlab_listen_queued_connections'), 3 + 2);
      assert.equal(sampleValue(exp, 'twlab_listen_queue_max_fill_ratio'), 0.1875);
      assert.ok(!exp.samples.some((s) => s.name.startsWith('twlab_listener_')), 'per-listener series are opt-in');
    });
    await withExporter({ observe, listeners: 1 }, async (e) => {
      const exp = parseExposition((await scrape(e.url)).body);
      const per = (name: string) => exp.samples.filter((s) => s.name === name).map((s) => [s.labels['listener'], s.value]);
      assert.deepEqual(per('twlab_listener_queued_connections'), [['198.18.0.1:7004', 3]]);
      assert.deepEqual(per('twlab_listener_backlog'), [['198.18.0.1:7004', 16]]);
    });
  });

  it('this host, live: kernel counters under nstat names, valid text', async () => {
    await withExporter({}, async (e) => {
      const exp = parseExposition((await scrape(e.url)).body);
      assert.ok(exp.types.get('twlab_nstat_TcpExtTW_total') === 'counter');
      assert.ok(sampleValue(exp, 'twlab_nstat_TcpExtTCPTimeWaitOverflow_total') !== undefined);
      assert.ok(exp.samples.some((s) => s.name === 'twlab_kernel_info'));
      assert.equal(sampleValue(exp, 'twlab_scrape_errors_total', { stage: 'read' }), 0);
    });
  });

  it('concurrent scrapes all get a complete answer', async () => {
    let looks = 0;
    const observe = (): Observation => {
      looks++;
      return fromFixture();
    };
    await withExporter({ observe }, async (e) => {
      const rounds = await Promise.all(Array.from({ length: 3 }, () => Promise.all(Array.from({ length: 8 }, () => scrape(e.url)))));
      for (const r of rounds.flat()) {
        assert.equal(r.status, 200);
        assert.equal(sampleValue(parseExposition(r.body), 'twlab_sockets', { state: 'TIME_WAIT', family: 'ipv4' }), 30);
      }
      assert.ok(looks >= 3 && looks <= 24, `${looks} looks at /proc for 24 scrapes`);
    });
  });

  it('a scrape that fails is counted and still answered; the next one works', async () => {
    let fail = true;
    const observe = (): Observation => {
      if (fail) throw new Error('EACCES /proc/net/tcp');
      return fromFixture();
    };
    await withExporter({ observe }, async (e) => {
      const bad = await scrape(e.url);
      assert.equal(bad.status, 200);
      const exp = parseExposition(bad.body);
      assert.equal(sampleValue(exp, 'twlab_scrape_errors_total', { stage: 'read' }), 1);
      assert.equal(sampleValue(exp, 'twlab_sockets', { state: 'TIME_WAIT', family: 'ipv4' }), undefined);
      fail = false;
      const good = parseExposition((await scrape(e.url)).body);
      assert.equal(sampleValue(good, 'twlab_scrape_errors_total', { stage: 'read' }), 1);
      assert.equal(sampleValue(good, 'twlab_sockets', { state: 'TIME_WAIT', family: 'ipv4' }), 30);
      assert.equal(sampleValue(good, 'twlab_scrapes_total'), 2);
    });
  });

  it('other paths and methods: 404, 405, HEAD; garbage on the socket does not stop it', async () => {
    await withExporter({ observe: fromFixture }, async (e) => {
      const base = e.url.replace(/\/metrics$/, '');
      assert.equal((await fetch(`${base}/nope`)).status, 404);
      assert.equal((await fetch(e.url, { method: 'POST', body: 'x' })).status, 405);
      const head = await fetch(e.url, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), '');
      const { connect } = await import('node:net');
      const url = new URL(e.url);
      await new Promise<void>((resolve) => {
        const s = connect(Number(url.port), url.hostname, () => s.end('\x00\x01 not http\r\n\r\n'));
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.resume();
      });
      assert.equal((await scrape(e.url)).status, 200);
    });
  });

  it('--listen parsing', () => {
    assert.deepEqual(parseListen('127.0.0.1:9813'), { host: '127.0.0.1', port: 9813 });
    assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListen('localhost:80'), { host: 'localhost', port: 80 });
    assert.equal(parseListen('9813'), undefined);
    assert.equal(parseListen('1.2.3.4:70000'), undefined);
    assert.equal(parseListen('::1:80'), undefined);
  });
});

describe('the Prometheus text reader used above', () => {
  it('rejects what Prometheus would', () => {
    assert.throws(() => parseExposition('x 1\n'), /no # TYPE/);
    assert.throws(() => parseExposition('# TYPE x gauge\nx{a="1} 1\n'), /unterminated/);
    assert.throws(() => parseExposition('# TYPE x gauge\nx one\n'), /not a float/);
    assert.throws(() => parseExposition('# TYPE x counter\nx -1\n'), /counter/);
    assert.throws(() => parseExposition('# TYPE x gauge\nx 1\nx 2\n'), /twice/);
    assert.throws(() => parseExposition('# TYPE x gauge\nx 1'), /newline/);
    assert.deepEqual(parseExposition('# HELP x a\n# TYPE x gauge\nx{a="q\\"\\n"} 1.5e3\n').samples, [{ name: 'x', labels: { a: 'q"\n' }, value: 1500 }]);
  });
});
