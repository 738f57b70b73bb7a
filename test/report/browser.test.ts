// The HTML report and the SVG ladders opened in a real browser: headless Chromium (Debian's
// `chromium`, the system binary, driven by playwright-core; never a downloaded browser), with
// every network request refused. Checks that the charts and ladders render, that hovering
// and the legend work, that nothing logs an error, and saves screenshots in test/artifacts/.
// Skips, saying why, when chromium or playwright-core is missing (CI installs both).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { repoRoot, twlab } from '../cli-helpers.js';

/** The system Chromium; TWLAB_CHROMIUM names another binary. */
const CHROMIUM = process.env['TWLAB_CHROMIUM'] ?? '/usr/bin/chromium';
/** A report a user attaches to a ticket: the default scenario's must stay below this. */
const MAX_REPORT_BYTES = 2 * 1024 * 1024;
const ARTIFACTS = join(repoRoot(), 'test', 'artifacts');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

type Playwright = typeof import('playwright-core');

async function loadPlaywright(): Promise<Playwright | string> {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set TWLAB_CHROMIUM)`;
  try {
    return await import('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm ci installs the dev dependencies)';
  }
}

const playwright = await loadPlaywright();
const skip = typeof playwright === 'string' ? playwright : false;

/** What a page did that it should not: console errors, uncaught exceptions, network requests. */
interface Trouble {
  errors: string[];
  requests: string[];
}

describe('reports in headless Chromium', { skip }, () => {
  let context: BrowserContext;
  let profile: string;
  let work: string;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'twlab-chromium-'));
    work = mkdtempSync(join(tmpdir(), 'twlab-reports-'));
    context = await (playwright as Playwright).chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
  });

  after(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  /** Opens a local file with every non-file request refused and recorded. */
  async function open(path: string): Promise<{ page: Page; trouble: Trouble }> {
    const page = await context.newPage();
    const trouble: Trouble = { errors: [], requests: [] };
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') trouble.errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => trouble.errors.push(`pageerror: ${e.message}`));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      trouble.requests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
    return { page, trouble };
  }

  function generate(name: string, ...args: string[]): void {
    const r = twlab('simulate', name, ...args);
    assert.equal(r.code, 0, r.stderr);
  }

  it('article-lb: under 2 MB; every host charted, the ladders drawn; hover and legend work; no errors, no network', async (t) => {
    const file = join(work, 'article-lb.html');
    generate('article-lb', '--html', file);
    const size = statSync(file).size;
    assert.ok(size < MAX_REPORT_BYTES, `${size} bytes`);

    const { page, trouble } = await open(file);
    // How long it took to open, for the record (npm run bench reports it; never asserted).
    const loadMs = Number(await page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"));
    t.diagnostic(`article-lb report: ${(size / 1024).toFixed(1)} KiB, load event after ${loadMs.toFixed(0)} ms`);

    const hosts = await page.locator('#time .host h3').allTextContents();
    assert.deepEqual(hosts, ['client', 'lb', 'web1', 'web2', 'db']);
    assert.equal(await page.locator('svg.chart').count(), 13, 'states and new connections on each host, connect errors on the three that ran out of ports');
    for (const chart of await page.locator('svg.chart').all()) {
      assert.ok((await chart.locator('.series').count()) > 0);
      const box = await chart.boundingBox();
      assert.ok(box !== null && box.width > 300 && box.height > 100, 'drawn at a readable size');
    }
    const ladders = page.locator('svg.ladder');
    assert.ok((await ladders.count()) >= 1);
    assert.ok((await ladders.first().locator('g.seg line').count()) > 10);
    assert.ok((await ladders.first().locator('text.state').count()) > 5);

    // Hover: the tooltip names the time and the values.
    const lbStates = page.locator('#h1-states');
    await lbStates.scrollIntoViewIfNeeded();
    const box = (await lbStates.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    const tip = page.locator('#tip');
    assert.equal(await tip.isVisible(), true);
    assert.match((await tip.textContent()) ?? '', /^t = \d+ s.*TIME_WAIT: [\d,]+/);
    await page.screenshot({ path: join(ARTIFACTS, 'article-lb-hover.png') });

    // Legend: hiding TIME_WAIT rescales the axis to the small states.
    const topTick = async (): Promise<string> => (await lbStates.locator('.yaxis text').last().textContent()) ?? '';
    assert.equal(await topTick(), '80k');
    await page.locator('button[data-chart="h1-states"][data-key="TIME_WAIT"]').click();
    assert.equal(await lbStates.locator('path.series[data-key="TIME_WAIT"]').isVisible(), false);
    assert.equal(await topTick(), '30', 'the other states stay at 30 or below at the samples');
    await page.locator('button[data-chart="h1-states"][data-key="TIME_WAIT"]').click();
    assert.equal(await topTick(), '80k');

    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(ARTIFACTS, 'article-lb-report.png'), fullPage: true });
    await ladders.first().screenshot({ path: join(ARTIFACTS, 'article-lb-ladder.png') });

    // Printed: the tooltip goes, the charts and ladders stay within the page.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await tip.isVisible(), false);
    const printed = (await ladders.first().boundingBox())!;
    assert.ok(printed.width <= 1280);
    await page.emulateMedia({ media: 'screen' });

    assert.deepEqual(trouble, { errors: [], requests: [] });
    await page.close();
  });

  it("stale-segment: figure one, the old connection's copy drawn on the new connection", async () => {
    const file = join(work, 'stale-segment.html');
    generate('stale-segment', '--html', file);
    const { page, trouble } = await open(file);
    const ladder = page.locator('svg.ladder');
    assert.equal(await ladder.count(), 1);
    assert.equal(await ladder.locator('line.copy.stale').count(), 1);
    assert.equal(await ladder.locator('g.conn').count(), 1, 'a line where connection 2 begins');
    assert.match((await ladder.locator('text.note').textContent()) ?? '', /connection 1’s segment .* arrives on a newer connection/);
    assert.equal(await page.locator('p.knobs').count(), 1, 'the what-if knob is flagged');
    await ladder.screenshot({ path: join(ARTIFACTS, 'stale-segment-ladder.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'stale-segment-report.png'), fullPage: true });
    assert.deepEqual(trouble, { errors: [], requests: [] });
    await page.close();
  });

  it('lost-last-ack --ladder FILE.svg: figure two as a standalone SVG', async () => {
    const file = join(work, 'lost-last-ack.svg');
    generate('lost-last-ack', '--ladder', file);
    const { page, trouble } = await open(file);
    const root = page.locator('svg').first();
    assert.equal(await root.evaluate((e) => e.namespaceURI), 'http://www.w3.org/2000/svg');
    assert.equal(await page.locator('path.drop').count(), 1, 'the lost final ACK');
    assert.equal(await page.locator('g.seg.warn line').count(), 1, 'the retransmitted FIN');
    assert.equal(await page.locator('g.seg.bad').count(), 0, 'no RST');
    const box = (await root.boundingBox())!;
    assert.ok(box.width >= 1000 && box.height > 600);
    await root.screenshot({ path: join(ARTIFACTS, 'lost-last-ack-ladder.png') });
    assert.deepEqual(trouble, { errors: [], requests: [] });
    await page.close();
  });
});
