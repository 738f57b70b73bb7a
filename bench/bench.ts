// npm run bench: the figures that say whether twlab is fast enough. Prints, never asserts.
//
//  1. two-host: 1000 conn/s for 120 s (the lifecycle model's hot path: queue, tables, ports)
//  2. article-lb: the built-in default, 90 s at 1000 req/s over three hops
//  3. heap per TIME_WAIT socket, with 100 000 of them alive

import { performance } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile, parseScenario } from '../src/scenario/load.js';
import { run } from '../src/sim/run.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

const gc = (globalThis as { gc?: () => void }).gc;

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function twoHost(): void {
  const s = parseScenario(
    `
name: bench-two-host
duration: 120s
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.ip_local_port_range: "1024 65535" } }
  server: { address: 198.18.0.2 }
servers:
  - { host: server, port: 80, close: after-peer, response_bytes: 1000 }
clients:
  - { host: client, target: server:80, count: 120000, rate: 1000/s, request_bytes: 200 }
`,
    'bench:two-host',
  );
  const t0 = performance.now();
  const r = run(s);
  const wall = (performance.now() - t0) / 1000;
  const c = r.result.clients[0]!;
  console.log(`two-host 1000 conn/s x 120 s: ${wall.toFixed(2)} s wall, ${fmt(r.events / wall)} events/s, ` +
    `${fmt(c.attempted / wall)} simulated connections/s, ${(120 / wall).toFixed(1)}x real time ` +
    `(${fmt(c.completed)} completed, TIME_WAIT peak ${fmt(r.result.hosts.client!.states_peak.TIME_WAIT ?? 0)})`);
}

function articleLb(): void {
  const s = loadScenarioFile(join(repoRoot(), 'scenarios', 'article-lb.yaml'));
  const t0 = performance.now();
  const r = run(s);
  const wall = (performance.now() - t0) / 1000;
  console.log(`article-lb 90 s: ${wall.toFixed(2)} s wall, ${(90 / wall).toFixed(1)}x real time, ${fmt(r.events / wall)} events/s`);
}

function heapPerTimewait(): void {
  if (gc === undefined) {
    console.log('heap per TIME_WAIT: run with node --expose-gc to measure');
    return;
  }
  // Two destinations x 50 000 connections, closed by the client: 100 000 TIME_WAIT at the end.
  const s = parseScenario(
    `
name: bench-heap
duration: 12s
hosts:
  client: { address: 198.18.0.1, sysctl: { net.ipv4.ip_local_port_range: "1024 65535", net.ipv4.tcp_max_tw_buckets: 1000000 } }
  server: { address: 198.18.0.2 }
servers:
  - { host: server, port: 80, close: after-peer }
  - { host: server, port: 81, close: after-peer }
clients:
  - { host: client, target: server:80, count: 50000, rate: 10000/s }
  - { host: client, target: server:81, count: 50000, rate: 10000/s }
`,
    'bench:heap',
  );
  gc();
  const before = process.memoryUsage().heapUsed;
  const r = run(s);
  gc();
  const during = process.memoryUsage().heapUsed;
  const tw = r.world.host('client').states.TIME_WAIT;
  // Let them expire: what the heap gives back is what the timewait sockets themselves held
  // (their objects, hash entries and queue slots; the queue's ring buffers keep their size).
  r.world.queue.runUntil(80_000_000);
  gc();
  const after = process.memoryUsage().heapUsed;
  console.log(`heap per TIME_WAIT with ${fmt(tw)} alive: ${fmt((during - after) / tw)} bytes freed each when they expire; ` +
    `${fmt((during - before) / tw)} bytes each counting all of the run's heap (an upper bound)`);
}

twoHost();
articleLb();
heapPerTimewait();
