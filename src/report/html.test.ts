// The HTML report as text: self-contained, says what the text report says, draws a chart per
// host and a ladder per chosen connection, and takes a second result (the kernel) beside the
// model. test/report/browser.test.ts opens it in a real browser.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltin } from '../scenario/builtin.js';
import type { Result } from '../sim/result.js';
import { run } from '../sim/run.js';
import type { ChartData } from './chart-svg.js';
import { compact, niceTicks } from './chart-svg.js';
import { renderHtml } from './html.js';
import { chooseLadders } from './ladder.js';
import { verdict } from './verdict.js';

const scenario = loadBuiltin('stale-segment');
const traced = run(scenario, { trace: {} });
const html = renderHtml({ model: traced.result }, { scenario, changed: ['duration=1s'], ladders: chooseLadders(traced.ladders), opens: traced.opens!, version: '0.1.0' });

// A run with something to chart: 150 connects through 100 ports, 50 EADDRNOTAVAIL.
const burstScenario = loadBuiltin('small-range-burst');
const burst = run(burstScenario, { trace: {} });
const burstHtml = renderHtml({ model: burst.result }, { scenario: burstScenario, ladders: chooseLadders(burst.ladders), opens: burst.opens! });

function chartData(page: string): Record<string, ChartData> {
  const m = /<script type="application\/json" id="chart-data">(.*?)<\/script>/s.exec(page);
  assert.ok(m !== null);
  return JSON.parse(m[1]!) as Record<string, ChartData>;
}

/** The same result as if the real kernel had run it: engine lab, a release, a few figures off. */
function kernelOf(r: Result): Result {
  const k = structuredClone(r);
  k.engine = 'lab';
  k.kernel = '6.18.44';
  k.integrity = null;
  delete k.what_if;
  const tw = k.series.hosts['client']!['TIME_WAIT'];
  if (tw !== undefined) k.series.hosts['client']!['TIME_WAIT'] = tw.map((v) => v + 1);
  return k;
}

describe('HTML report: one self-contained file', () => {
  it('nothing to fetch: no links, sources, imports or url()', () => {
    assert.ok(html.startsWith('<!DOCTYPE html>\n<html lang="en">'));
    for (const bad of [/<link\b/i, /\bsrc=/i, /\bhref=/i, /@import/i, /url\(/i]) assert.doesNotMatch(html, bad);
    // The only URL is the SVG namespace the script creates elements in.
    assert.deepEqual([...new Set(html.match(/https?:\/\/[^\s'"<]+/g))], ['http://www.w3.org/2000/svg']);
  });

  it('the same result gives the same file', () => {
    const again = renderHtml({ model: traced.result }, { scenario, changed: ['duration=1s'], ladders: chooseLadders(traced.ladders), opens: traced.opens!, version: '0.1.0' });
    assert.equal(again, html);
  });

  it('prints: a print style sheet, and every chart and ladder is SVG in the page', () => {
    assert.match(html, /@media print \{/);
    assert.ok((html.match(/<svg class="chart"/g) ?? []).length >= 2);
    assert.equal((html.match(/<svg class="ladder"/g) ?? []).length, 1);
  });
});

describe('HTML report: header and verdict', () => {
  it('scenario, kernel profile, seed, changes and what-if knobs flagged', () => {
    assert.match(html, /<h1>Scenario <span class="name">stale-segment<\/span><\/h1>/);
    assert.match(html, /<tr><th>kernel<\/th><td>linux-6\.18 profile<\/td><\/tr>/);
    assert.match(html, /<tr><th>seed<\/th><td>1<\/td><\/tr>/);
    assert.match(html, /on the command line: duration=1s/);
    assert.match(html, /<p class="knobs"><strong>What-if knobs \(simulator only, not Linux behaviour\):<\/strong> client timewait_len=0s<\/p>/);
  });

  it("the verdict's sentences, escaped", () => {
    const sentences = verdict(traced.result, scenario);
    assert.ok(sentences.length > 0);
    for (const s of sentences) assert.ok(html.includes(`<li>${s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')}</li>`), s);
    assert.match(html, /<p class="integrity bad"><strong>Integrity<\/strong>[^<]*stale segments accepted 1, stale bytes 285/);
  });

  it('troubled connections without a ladder are named with the --trace that draws them', () => {
    const page = renderHtml(
      { model: traced.result },
      { ladders: [], unrecorded: [{ ends: [{ host: 'client', address: '198.18.0.1', port: 40312 }, { host: 'server', address: '198.18.0.2', port: 80 }], t: 56_200_000, mark: 'rst' }] },
    );
    assert.match(page, /<ul class="unrecorded"><li>RST at 56200\.000 ms: <code>--trace 'client:40312-&gt;server:80'<\/code><\/li><\/ul>/);
    assert.match(page, /No connection sent a segment in this run, so there is no ladder to draw\./);
  });

  it('no scenario, no verdict (a result file alone)', () => {
    const bare = renderHtml({ model: traced.result });
    assert.doesNotMatch(bare, /What happened/);
    assert.doesNotMatch(bare, /id="ladders"/, 'no ladders were given');
  });

  it('text from the scenario is escaped', () => {
    const evil = { ...scenario, description: '<script>alert(1)</script> & more' };
    const page = renderHtml({ model: { ...traced.result, scenario: '<b>x</b>' } }, { scenario: evil });
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; more'));
    assert.ok(page.includes('Scenario <span class="name">&lt;b&gt;x&lt;/b&gt;</span>'));
    assert.equal((page.match(/<script/g) ?? []).length, 2, 'only the report\'s own two scripts');
  });
});

describe('HTML report: charts over time', () => {
  const data = chartData(burstHtml);

  it('per host: sockets by state from the series, one line per state that was ever non-zero', () => {
    const client = data['h0-states']!;
    assert.deepEqual(
      client.series.map((s) => s.key),
      ['SYN_SENT', 'TIME_WAIT'],
    );
    for (const s of client.series) {
      assert.deepEqual(s.t, burst.result.series.t);
      assert.deepEqual(s.v, burst.result.series.hosts['client']![s.key]);
    }
    assert.equal(data['h1-states'], undefined, 'the server only listens: nothing to chart');
    assert.equal((burstHtml.match(/<path data-key="[A-Z_0-9]+" class="series"/g) ?? []).length, 2);
  });

  it('new connections per second from a traced run: connect() on the client, accepted on the server', () => {
    assert.deepEqual(
      data['h0-opens']!.series.map((s) => [s.key, s.v]),
      [['connect', [1, 99, 0]]],
      '100 connect() calls found a port; the 50 EADDRNOTAVAIL sent nothing',
    );
    assert.deepEqual(
      data['h1-opens']!.series.map((s) => [s.key, s.v]),
      [['accept', [0, 100, 0]]],
    );
    assert.equal(chartData(html)['h0-opens']!.series[0]!.v.reduce((a, b) => a + b, 0), 2, 'stale-segment: two connect() calls');
  });

  it('connect errors per interval only where there were some, as bars', () => {
    assert.equal(chartData(html)['h0-errors'], undefined);
    const errors = data['h0-errors'];
    assert.ok(errors !== undefined);
    assert.equal(errors.series[0]!.bars, true);
    assert.deepEqual(errors.series[0]!.v, [0, 50, 0]);
    assert.match(burstHtml, /<g data-key="connect_errors" class="series" fill="#c62828"><rect /);
  });

  it('a legend button per series, with its peak', () => {
    assert.match(burstHtml, /<button type="button" data-chart="h0-states" data-key="TIME_WAIT" aria-pressed="true"><span class="swatch" style="background:#3949ab"><\/span>TIME_WAIT <span class="peak">max 100<\/span><\/button>/);
  });

  it('round ticks and short numbers', () => {
    assert.deepEqual(niceTicks(28232), [0, 10000, 20000, 30000]);
    assert.deepEqual(niceTicks(100), [0, 20, 40, 60, 80, 100]);
    assert.deepEqual(niceTicks(1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(60538), [0, 20000, 40000, 60000, 80000]);
    assert.equal(compact(28232), '28.2k');
    assert.equal(compact(1_500_000), '1.5M');
    assert.equal(compact(470), '470');
    assert.equal(compact(0.25), '0.25');
  });
});

describe('HTML report: tables', () => {
  it('connect() per client and upstream, with percentiles and a probe bar', () => {
    const page = burstHtml;
    assert.match(page, /<td>client → 198\.18\.0\.2:9000<\/td><td class="num">150<\/td><td class="num">100<\/td><td class="bad">EADDRNOTAVAIL 50<\/td>/);
    assert.match(page, /<svg class="probebar"/);
  });

  it('hosts: states at the end and at the peak, key counters', () => {
    assert.match(html, /<h3>client<\/h3><table class="data"><thead><tr><th>state<\/th><th>end<\/th><th>peak<\/th><\/tr>/);
    assert.match(html, /<tr><td>TcpActiveOpens<\/td><td class="num">2<\/td><\/tr>/);
  });
});

describe('HTML report: model and kernel side by side (twlab compare)', () => {
  const kernel = kernelOf(burst.result);
  const page = renderHtml({ model: burst.result, kernel }, { scenario: burstScenario });

  it('the header and the verdict get a column each', () => {
    assert.match(page, /<tr><th><\/th><th>model<\/th><th>kernel<\/th><\/tr>/);
    assert.match(page, /<tr><th>kernel<\/th><td>linux-6\.18 profile<\/td><td>6\.18\.44<\/td><\/tr>/);
    assert.match(page, /<tr><th>engine<\/th><td>twlab simulate \(the model\)<\/td><td>twlab lab \(the real kernel\)<\/td><\/tr>/);
    assert.match(page, /<div class="columns c2"><div><h3>model<\/h3>/);
  });

  it("the kernel's series are dashed over the model's, toggled with them", () => {
    const data = chartData(page)['h0-states']!;
    const tw = data.series.filter((s) => s.key === 'TIME_WAIT');
    assert.deepEqual(
      tw.map((s) => s.label),
      ['TIME_WAIT', 'TIME_WAIT (kernel)'],
    );
    assert.deepEqual(tw[1]!.v, kernel.series.hosts['client']!['TIME_WAIT']);
    assert.match(page, /<path data-key="TIME_WAIT" class="series dashed" d="[^"]+" stroke="#3949ab" fill="none" stroke-dasharray="6 4"\/>/);
    assert.equal((page.match(/data-chart="h0-states" data-key="TIME_WAIT"/g) ?? []).length, 1, 'one legend button for both');
  });

  it('tables get a kernel row or column', () => {
    assert.match(page, /<tr class="kernel"><td>client → 198\.18\.0\.2:9000 <span class="side">kernel<\/span><\/td>/);
    assert.match(page, /<th>end \(model\)<\/th><th>peak \(model\)<\/th><th>end \(kernel\)<\/th><th>peak \(kernel\)<\/th>/);
  });
});
