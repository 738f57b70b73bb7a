// `twlab simulate --html / --ladder / --trace` end to end: the files written, the ladder on
// stdout, and the mistakes a user can make with these flags.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { twlab } from './cli-helpers.js';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'twlab-html-'));
}

describe('twlab simulate --html', () => {
  it('writes one HTML file, says so on stderr, and still prints the report', () => {
    const dir = scratch();
    try {
      const file = join(dir, 'report.html');
      const r = twlab('simulate', 'lost-last-ack', '--html', file);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Scenario lost-last-ack: 3 s simulated/);
      assert.match(r.stderr, new RegExp(`^twlab: wrote ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+\\.\\d KiB\\)\\n$`));
      const html = readFileSync(file, 'utf8');
      assert.match(html, /^<!DOCTYPE html>/);
      assert.match(html, /<svg class="ladder"/);
      assert.match(html, /<meta name="generator" content="twlab \d+\.\d+\.\d+">/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with --json the result document is unchanged', () => {
    const dir = scratch();
    try {
      const plain = twlab('simulate', 'stale-segment', '--json');
      const withHtml = twlab('simulate', 'stale-segment', '--json', '--html', join(dir, 'r.html'));
      assert.equal(withHtml.code, 0, withHtml.stderr);
      assert.equal(withHtml.stdout, plain.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file that cannot be written: exit 1, one line naming it', () => {
    const r = twlab('simulate', 'lost-last-ack', '--html', '/nonexistent-dir/report.html');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^twlab: cannot write \/nonexistent-dir\/report\.html: ENOENT/);
  });
});

describe('twlab simulate --ladder', () => {
  it("- prints the ladders instead of the report: the article's figure two", () => {
    const r = twlab('simulate', 'lost-last-ack', '--ladder', '-');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^client 180\.172\.35\.150:45678 ⇄ server 180\.97\.33\.108:80\n/);
    assert.match(r.stdout, /─✕ +│ +dropped\n/);
    assert.match(r.stdout, /retransmission, arrives 208\.050\n/);
    assert.ok(!r.stdout.includes('\x1b['), 'no colour off a terminal');
  });

  it('FILE.svg writes a standalone SVG, FILE.txt the text', () => {
    const dir = scratch();
    try {
      const r = twlab('simulate', 'stale-segment', '--ladder', join(dir, 'fig1.svg'));
      assert.equal(r.code, 0, r.stderr);
      const svg = readFileSync(join(dir, 'fig1.svg'), 'utf8');
      assert.match(svg, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(svg, /twlab simulate stale-segment, seed 1: 1 packet ladder/);
      assert.match(svg, /class="copy stale"/);
      const t = twlab('simulate', 'stale-segment', '--ladder', join(dir, 'fig1.txt'));
      assert.equal(t.code, 0, t.stderr);
      assert.match(readFileSync(join(dir, 'fig1.txt'), 'utf8'), /connection 2 on the same 4-tuple/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--trace draws just the matching connection', () => {
    const r = twlab('simulate', 'lost-last-ack', '--ladder', '-', '--trace', 'server:80->client:45680');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^client 180\.172\.35\.150:45680 ⇄ server 180\.97\.33\.108:80\nWhy here: matched by --trace\.\n/);
    const [ladders, others] = r.stdout.split('\nAlso with trouble but not recorded');
    assert.doesNotMatch(ladders!, /45678/);
    assert.equal(others, " (the first 1); add the --trace shown to draw one:\n  drop at 0.300 ms: --trace 'client:45678->server:80'\n");
  });

  it('--trace that matches nothing: a note on stderr, no ladder, the connections that had trouble', () => {
    const r = twlab('simulate', 'lost-last-ack', '--ladder', '-', '--trace', 'client:1->server:80');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'twlab: --trace client:1->server:80 matched no connection in this run\n');
    assert.match(r.stdout, /^No connection matched --trace, so there is no ladder to draw\.\n\nAlso with trouble but not recorded \(the first 2\)/);
    assert.match(r.stdout, / {2}drop at 10\.300 ms: --trace 'client:45680->server:80'\n$/);
  });
});

describe('mistakes with --html, --ladder, --trace', () => {
  for (const [args, message] of [
    [['--trace', 'client:1->server:80'], /--trace chooses the connections that --html and --ladder draw; add --html FILE or --ladder FILE\|-/],
    [['--ladder', '-', '--json'], /--ladder - and --json would both print on stdout/],
    [['--ladder', '-', '--trace', 'nope:1->server:80'], /--trace nope:1->server:80: no host "nope" in scenario lost-last-ack; hosts: client, server/],
    [['--ladder', '-', '--trace', 'client:45678'], /--trace client:45678: expected HOST\[:PORT\]->HOST\[:PORT\]/],
    [['--ladder', 'fig.pdf'], /^twlab: --ladder fig\.pdf: "\.pdf" is not a ladder format; allowed: FILE\.svg \(SVG\), FILE\.txt \(text\) or - \(text on stdout\)$/m],
    [['--ladder', 'fig'], /^twlab: --ladder fig: has no \.svg or \.txt extension; allowed: FILE\.svg \(SVG\), FILE\.txt \(text\) or - \(text on stdout\)$/m],
    [['--html', 'report.pdf'], /^twlab: --html report\.pdf: "\.pdf" is not \.html; the report is one HTML file: give FILE\.html \(or FILE\.htm\)$/m],
    [['--html', 'report'], /^twlab: --html report: has no \.html extension; the report is one HTML file/m],
  ] as const) {
    it(`${args.join(' ')}: exit 2`, () => {
      const r = twlab('simulate', 'lost-last-ack', ...args);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.match(r.stderr, /\(twlab simulate --help explains the usage\)\n$/);
    });
  }

  it('help lists the flags', () => {
    const r = twlab('simulate', '--help');
    assert.equal(r.code, 0);
    for (const flag of ['--html FILE', '--ladder FILE|-', '--trace HOST[:PORT]->HOST[:PORT]']) assert.ok(r.stdout.includes(flag), flag);
  });
});
