// npm run bench: the figures that say whether twlab is fast enough. Prints, never asserts.
// `npm run bench -- inspect article-lb` runs only those sections (names below).
//
//  1. two-host: 1000 conn/s for 120 s (the lifecycle model's hot path: queue, tables, ports)
//  2. article-lb: the built-in default, 90 s at 1000 req/s over three hops
//  3. heap per TIME_WAIT socket, with 100 000 of them alive
//  4. article-lb's HTML report (--html): the run with ladders, the file's size, how fast
//     headless Chromium opens it (Debian's chromium; skipped without it)
//  5. twlab inspect --json against `ss -tan state time-wait | wc -l` on a network namespace
//     holding 100 000 real TIME_WAIT sockets (root and iproute2 only)

import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderHtml } from '../src/report/html.js';
import { chooseLadders } from '../src/report/ladder.js';
import { loadScenarioFile, parseScenario } from '../src/scenario/load.js';
import { run } from '../src/sim/run.js';
import { MAIN, netnsUnavailable, withNamespaces } from '../test/inspect/netns.js';
import { repoRoot } from '../src/paths.js';
import { tuneV8ForSimulation } from '../src/cli/v8-tuning.js';

// As the twlab binary does (src/cli/main.ts), so the figures are what users get.
tuneV8ForSimulation();

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

/** Three runs, the median reported: this machine is a shared VM and one run can be 30 % off. */
function articleLb(): void {
  const s = loadScenarioFile(join(repoRoot(), 'scenarios', 'article-lb.yaml'));
  const walls: number[] = [];
  let events = 0;
  for (let i = 0; i < 3; i++) {
    gc?.();
    const t0 = performance.now();
    events = run(s).events;
    walls.push((performance.now() - t0) / 1000);
  }
  const sorted = [...walls].sort((a, b) => a - b);
  const wall = sorted[1]!;
  console.log(`article-lb 90 s: ${wall.toFixed(2)} s wall (median of 3; fastest ${sorted[0]!.toFixed(2)} s), ${(90 / wall).toFixed(1)}x real time ` +
    `(goal: 100x), ${fmt(events)} events, ${fmt(events / wall)} events/s`);
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

/** 100 000 TIME_WAIT in a namespace, then inspect --json and ss, each through a pipe, alternately. */
async function inspectVsSs(): Promise<void> {
  const title = 'twlab inspect --json vs ss -tan state time-wait | wc -l, 100 000 TIME_WAIT';
  const why = netnsUnavailable();
  if (why !== undefined) {
    console.log(`${title}: skipped (${why})`);
    return;
  }
  // Ten destinations (ports 8000-8009) x 10 000: no destination fills the even half of the
  // range, so connect() stays cheap (fidelity.md §3) and the load takes seconds, well within
  // the 60 s a TIME_WAIT lives.
  const ports = Array.from({ length: 10 }, (_, i) => 8000 + i);
  const perPort = 10_000;
  const runs = 7;
  await withNamespaces('bench', async (lab) => {
    lab.sysctl(lab.a, 'net.ipv4.ip_local_port_range', '1024 65535');
    await lab.agent(lab.b, ['serve', '0.0.0.0', ...ports.map(String)]);
    const t0 = performance.now();
    const halves = [ports.slice(0, 5), ports.slice(5)];
    await Promise.all(halves.map(async (half) => {
      for (const port of half) await lab.connect(lab.a, '198.18.0.2', port, perPort, 128);
    }));
    const loadS = (performance.now() - t0) / 1000;
    const tw = lab.ssCount(lab.a, ['state', 'time-wait']);
    const time = (script: string, env: NodeJS.ProcessEnv = process.env): number => {
      const t = performance.now();
      const r = spawnSync('ip', ['netns', 'exec', lab.a, 'sh', '-c', script], { encoding: 'utf8', maxBuffer: 1 << 26, env });
      if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
      return performance.now() - t;
    };
    // inspect runs as users run it, through the installed command (bin/twlab), which drops
    // NODE_EXTRA_CA_CERTS: where that is set, Node parses the certificate bundle before any
    // code runs (~50 ms here) for a command that opens no TLS connection. Where it is set,
    // `node main.js` is also timed with it, so the cost the launcher saves stays visible.
    const caCerts = process.env['NODE_EXTRA_CA_CERTS'];
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` };
    // No pipe on inspect's side, so that a failure shows in the exit status (a pipeline's is
    // wc's); the JSON goes to /dev/null instead of through wc.
    const inspect = `'${join(repoRoot(), 'bin', 'twlab')}' inspect --json >/dev/null`;
    const direct = `'${process.execPath}' '${MAIN}' inspect --json >/dev/null`;
    const inspectMs: number[] = [];
    const directMs: number[] = [];
    const ssMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      inspectMs.push(time(inspect, env));
      if (caCerts !== undefined) directMs.push(time(direct));
      ssMs.push(time('ss -tan state time-wait | wc -l >/dev/null'));
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const [i, s] = [median(inspectMs), median(ssMs)];
    const withCa = caCerts === undefined ? '' : `; node main.js with NODE_EXTRA_CA_CERTS (set here, dropped by bin/twlab): ${median(directMs).toFixed(0)} ms, ratio ${(median(directMs) / s).toFixed(2)}`;
    // Which socket list inspect read (netlink sock_diag, or /proc/net/tcp when netlink failed), and why not netlink.
    const doc = JSON.parse(lab.run(lab.a, process.execPath, [MAIN, 'inspect', '--json'])) as { source: { sockets_from: string }; notes: string[] };
    const fallback = doc.notes.find((n) => n.includes('could not be used'));
    console.log(`${title}: twlab inspect ${i.toFixed(0)} ms, ss ${s.toFixed(0)} ms (medians of ${runs}), ratio ${(i / s).toFixed(2)} (goal: <= 1)${withCa} ` +
      `(${fmt(tw)} TIME_WAIT, built in ${loadS.toFixed(1)} s; inspect read sockets from ${doc.source.sockets_from}${fallback ? `: ${fallback}` : ''})`);
  });
}

/** The HTML report of article-lb: tracing's cost on the run, the file's size, and how fast Chromium opens it. */
async function htmlReport(): Promise<void> {
  const s = loadScenarioFile(join(repoRoot(), 'scenarios', 'article-lb.yaml'));
  const t0 = performance.now();
  const r = run(s, { trace: {} });
  const simS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const html = renderHtml({ model: r.result }, { scenario: s, ladders: chooseLadders(r.ladders), opens: r.opens! });
  const renderMs = performance.now() - t1;
  const bytes = Buffer.byteLength(html);
  const head = `article-lb --html: run with ladders ${simS.toFixed(2)} s wall (${r.ladders.length} ladders recorded), render ${renderMs.toFixed(0)} ms, ${(bytes / 1024).toFixed(1)} KiB`;
  const chromium = process.env['TWLAB_CHROMIUM'] ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    console.log(`${head}; open: skipped (no Chromium at ${chromium})`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'twlab-bench-'));
  try {
    const file = join(dir, 'article-lb.html');
    writeFileSync(file, html);
    const { chromium: browser } = await import('playwright-core');
    const context = await browser.launchPersistentContext(join(dir, 'profile'), {
      executablePath: chromium,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const page = await context.newPage();
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      loads.push(Number(await page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")));
      await page.close();
    }
    await context.close();
    const sorted = [...loads].sort((a, b) => a - b);
    console.log(`${head}; opens in Chromium: load event after ${sorted[2]!.toFixed(0)} ms (median of 5, first ${loads[0]!.toFixed(0)} ms)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `npm run bench -- NAME...` runs only the named sections.
const SECTIONS: [string, () => void | Promise<void>][] = [
  ['two-host', twoHost],
  ['article-lb', articleLb],
  ['heap', heapPerTimewait],
  ['html', () => htmlReport().catch((e: unknown) => console.log(`article-lb --html: failed: ${e instanceof Error ? e.message : String(e)}`))],
  ['inspect', () => inspectVsSs().catch((e: unknown) => console.log(`inspect vs ss: failed: ${e instanceof Error ? e.message : String(e)}`))],
];
const only = process.argv.slice(2);
const unknown = only.filter((name) => !SECTIONS.some(([n]) => n === name));
if (unknown.length > 0) {
  console.error(`bench: unknown section ${unknown.join(', ')}; sections: ${SECTIONS.map(([n]) => n).join(', ')}`);
  process.exit(2);
}
for (const [name, section] of SECTIONS) if (only.length === 0 || only.includes(name)) await section();
