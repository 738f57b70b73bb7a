import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError, valueOf, wantsHelp, type FlagSpec } from './args.js';

const FLAGS: FlagSpec[] = [
  { name: 'json', help: 'JSON out', default: 'off' },
  { name: 'watch', operand: 'INTERVAL', help: 'refresh every INTERVAL', default: 'off' },
  { name: 'seed', value: 'N', help: 'seed', default: '1' },
  { name: 'duration', value: 'D', help: 'run length', default: 'the file' },
  { name: 'vary', value: 'KEY=VALUES', repeatable: true, help: 'a grid axis', default: 'none' },
  { name: 'help', short: 'h', help: 'help', default: '' },
];

function usageError(argv: string[]): UsageError {
  try {
    parseArgs(argv, FLAGS, 'simulate');
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  assert.fail(`expected a UsageError for ${argv.join(' ')}`);
}

describe('parseArgs: operands and switches', () => {
  it('keeps operands in order, flags anywhere among them', () => {
    const args = parseArgs(['a.yaml', '--json', 'b'], FLAGS);
    assert.deepEqual(args.positionals, ['a.yaml', 'b']);
    assert.ok(args.switches.has('json'));
  });

  it('nothing given: no operands, no switches, no values', () => {
    const args = parseArgs([], FLAGS);
    assert.deepEqual(args.positionals, []);
    assert.equal(args.switches.size, 0);
    assert.equal(args.values.size, 0);
  });

  it('-- ends the flags: what follows is an operand even if it looks like a flag', () => {
    const args = parseArgs(['--json', '--', '--seed', '-h'], FLAGS);
    assert.deepEqual(args.positionals, ['--seed', '-h']);
    assert.equal(valueOf(args, 'seed'), undefined);
  });

  it('a lone "-" and a negative number are operands', () => {
    assert.deepEqual(parseArgs(['-', '-5'], FLAGS).positionals, ['-', '-5']);
  });

  it('short form -h sets the long name', () => {
    assert.ok(parseArgs(['-h'], FLAGS).switches.has('help'));
  });

  it('a switch given twice is the same switch', () => {
    assert.ok(parseArgs(['--json', '--json'], FLAGS).switches.has('json'));
  });
});

describe('parseArgs: values', () => {
  it('--flag value', () => {
    assert.equal(valueOf(parseArgs(['--seed', '42'], FLAGS), 'seed'), '42');
  });

  it('--flag=value, with = inside the value kept', () => {
    const args = parseArgs(['--duration=30s', '--vary=rate=1/s,2/s'], FLAGS);
    assert.equal(valueOf(args, 'duration'), '30s');
    assert.deepEqual(args.values.get('vary'), ['rate=1/s,2/s']);
  });

  it('a negative number is a value, so the value check can say it is negative', () => {
    assert.equal(valueOf(parseArgs(['--seed', '-1'], FLAGS), 'seed'), '-1');
  });

  it('a repeatable flag keeps every value in order', () => {
    const args = parseArgs(['--vary', 'a=1,2', 'x.yaml', '--vary=b=3'], FLAGS);
    assert.deepEqual(args.values.get('vary'), ['a=1,2', 'b=3']);
    assert.deepEqual(args.positionals, ['x.yaml']);
  });
});

describe('parseArgs: usage errors name the token and the fix', () => {
  it('unknown flag: names it and suggests the closest', () => {
    const e = usageError(['--jsno']);
    assert.equal(e.message, 'unknown flag --jsno; did you mean --json?');
    assert.equal(e.command, 'simulate');
  });

  it('unknown flag with =value: names the flag without the value', () => {
    assert.equal(usageError(['--sed=3']).message, 'unknown flag --sed; did you mean --seed?');
  });

  it('unknown flag far from every known one: lists the known flags', () => {
    assert.match(usageError(['--frobnicate']).message, /^unknown flag --frobnicate; known flags: --json --watch --seed --duration --vary --help$/);
  });

  it('unknown short flag', () => {
    assert.match(usageError(['-x']).message, /^unknown flag -x/);
  });

  it('value flag at the end: needs a value, shows the form', () => {
    assert.equal(usageError(['--seed']).message, '--seed needs a value: --seed N');
  });

  it('value flag followed by another flag: needs a value', () => {
    assert.equal(usageError(['--seed', '--json']).message, '--seed needs a value: --seed N');
  });

  it('empty --flag=', () => {
    assert.equal(usageError(['--duration=']).message, '--duration needs a value: --duration D');
  });

  it('a switch with =value', () => {
    assert.equal(usageError(['--json=yes']).message, '--json takes no value (got "yes")');
  });

  it('a switch whose setting is the operand, with =value: pointed to the operand', () => {
    assert.equal(usageError(['--watch=5']).message, '--watch takes no value (got "5"); INTERVAL is an operand: write --watch 5');
  });

  it('a non-repeatable value flag given twice', () => {
    assert.equal(usageError(['--seed', '1', '--seed=2']).message, '--seed is given twice ("1" and "2"); give it once');
  });
});

describe('wantsHelp', () => {
  it('finds --help or -h anywhere before --', () => {
    assert.ok(wantsHelp(['x.yaml', '--bogus', '--help']));
    assert.ok(wantsHelp(['-h']));
    assert.ok(!wantsHelp(['--', '--help']));
    assert.ok(!wantsHelp(['--helpful']));
  });
});
