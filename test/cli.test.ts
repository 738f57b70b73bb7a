// The twlab binary as a user runs it: a child process, its exit code, stdout and stderr.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { twlab } from './cli-helpers.js';
import { builtinNames } from '../src/scenario/builtin.js';

const STACK_FRAME = /^\s+at /m;

describe('twlab help and version', () => {
  it('--help: exit 0, lists simulate and scenarios', () => {
    const r = twlab('--help');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: twlab COMMAND/m);
    assert.match(r.stdout, /^ {2}simulate \[SCENARIO\] /m);
    assert.match(r.stdout, /^ {2}scenarios /m);
    assert.equal(r.stderr, '');
  });

  it('no arguments: the same overview', () => {
    assert.equal(twlab().stdout, twlab('--help').stdout);
  });

  it('help simulate and simulate --help: every flag with its default, examples', () => {
    const r = twlab('help', 'simulate');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(twlab('simulate', '--help').stdout, r.stdout);
    const flags = ['--json', '--seed N', '--duration D', '--set KEY=VALUE', '--html FILE', '--ladder FILE|-', '--trace HOST[:PORT]->HOST[:PORT]'];
    for (const flag of flags) assert.ok(r.stdout.includes(flag), flag);
    assert.equal(r.stdout.match(/default: /g)?.length, flags.length);
    assert.match(r.stdout, /^Examples:$/m);
  });

  it('--help wins over a mistake on the same line', () => {
    assert.equal(twlab('simulate', '--bogus', '--help').code, 0);
  });

  it('--version prints the package version', () => {
    const r = twlab('--version');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\S*\n$/);
  });
});

describe('twlab scenarios', () => {
  it('one line per built-in: name, duration, first sentence', () => {
    const r = twlab('scenarios');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.map((l) => l.split(/\s+/)[0]), builtinNames());
    assert.match(r.stdout, /^article-lb\s+90s\s+The article's topology\.$/m);
  });
});

describe('twlab usage errors: exit 2, one message naming the mistake', () => {
  it('simulate with an unknown scenario name lists the built-ins', () => {
    const r = twlab('simulate', 'nosuch');
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^twlab: nosuch: /);
    assert.ok(r.stderr.includes(builtinNames().join(', ')), r.stderr);
    assert.doesNotMatch(r.stderr, STACK_FRAME);
  });

  it('a near-miss of a built-in name is suggested', () => {
    assert.match(twlab('simulate', 'small-range-brust').stderr, /did you mean small-range-burst\?/);
  });

  it('simulate on a malformed file: one located line, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twlab-cli-'));
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'name: bad\nduration: 5s\nhosts:\n  client: { address: 198.18.0.1 }\nclinets: []\n');
      const r = twlab('simulate', file);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]?.startsWith(`twlab: ${file}:5:1: clinets: `), r.stderr);
      assert.doesNotMatch(r.stderr, STACK_FRAME);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unknown flag: named, with the closest one suggested', () => {
    const r = twlab('simulate', '--jsno');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^twlab: unknown flag --jsno; did you mean --json\?$/m);
    assert.doesNotMatch(r.stderr, STACK_FRAME);
  });

  it('unknown command: suggested', () => {
    const r = twlab('simluate');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /unknown command "simluate"; did you mean simulate\?/);
  });

  it('a command that takes no operands refuses one instead of ignoring it', async () => {
    const { COMMANDS } = await import('../src/cli/cli.js');
    const none = [];
    for (const entry of COMMANDS) if ((await entry.command()).operands === '') none.push(entry.name);
    assert.deepEqual(none.sort(), ['advise', 'exporter', 'scenarios', 'schema']);
    for (const name of none) {
      const r = twlab(name, 'foo', 'bar');
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, '', name);
      assert.match(r.stderr, new RegExp(`^twlab: ${name} takes no operands, got foo bar$`, 'm'), name);
      assert.doesNotMatch(r.stderr, STACK_FRAME);
    }
  });

  it('--version refuses words after it', () => {
    const r = twlab('--version', 'foo');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^twlab: --version takes nothing after it, got foo$/m);
  });

  it('every command product.md describes exists and has help', () => {
    for (const name of ['simulate', 'scenarios', 'sweep', 'inspect', 'advise', 'exporter', 'lab', 'compare']) {
      assert.equal(twlab('help', name).code, 0, name);
    }
  });

  it('simulate --help names seed and duration among the --set keys', () => {
    const r = twlab('simulate', '--help');
    assert.match(r.stdout.replace(/\s+/g, ' '), /or seed and duration \(as --seed and --duration do\)/);
    assert.match(r.stdout.replace(/\s+/g, ' '), /Each key may be given once/);
  });

  for (const [args, message] of [
    [['--seed', 'abc'], /^twlab: --seed: "abc" is not an integer; allowed: an integer from 0 to 4294967295$/m],
    [['--seed', '4294967296'], /^twlab: --seed: 4294967296 is above the limit/m],
    [['--seed', '-1'], /^twlab: --seed: -1 is negative/m],
    [['--duration', '30'], /^twlab: --duration: 30 has no unit; allowed: /m],
    [['--duration', '0s'], /^twlab: --duration: "0s" is zero/m],
    [['stale-segment', '--duration', '50ms'], /^twlab: --duration: 50ms cuts off clients\[1\], which starts at 100ms; allowed: a duration longer than 100ms, the latest start of a client$/m],
    [['stale-segment', '--set', 'duration=100ms'], /^twlab: --set duration=100ms: 100ms cuts off clients\[1\], which starts at 100ms; allowed: a duration longer than 100ms/m],
    [['--seed', '3', '--set', 'seed=5'], /^twlab: --set seed=5: seed is already given by --seed 3; allowed: each key once$/m],
    [['--duration', '1s', '--set', 'duration=3s'], /^twlab: --set duration=3s: duration is already given by --duration 1s; allowed: each key once$/m],
    [['--set', 'clients[0].rate=1/s', '--set', 'clients[0].rate=2/s'], /^twlab: --set clients\[0\]\.rate=2\/s: clients\[0\]\.rate is already given by --set clients\[0\]\.rate=1\/s; allowed: each key once$/m],
    [['a.yaml', 'b.yaml'], /^twlab: simulate takes one scenario, got 2/m],
  ] as const) {
    it(`simulate ${args.join(' ')}`, () => {
      const r = twlab('simulate', ...args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }
});
