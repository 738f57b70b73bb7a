import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  closest,
  formatDuration,
  parseDuration,
  parseEndpoint,
  parseFlags,
  parseFraction,
  parseHostAddress,
  parseInteger,
  parseIPv4,
  parseName,
  parseRate,
  type Parsed,
} from './units.js';

function value<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) assert.fail(`expected a value, got: ${parsed.problem}`);
  return parsed.value;
}

function problem<T>(parsed: Parsed<T>): string {
  if (parsed.ok) assert.fail(`expected a problem, got: ${JSON.stringify(parsed.value)}`);
  assert.ok(parsed.allowed.length > 0, 'every problem says what is allowed');
  return parsed.problem;
}

describe('durations', () => {
  it('units us, ms, s, m -> integer microseconds', () => {
    assert.equal(value(parseDuration('50us')), 50);
    assert.equal(value(parseDuration('200ms')), 200_000);
    assert.equal(value(parseDuration('1.5s')), 1_500_000);
    assert.equal(value(parseDuration('2m')), 120_000_000);
    assert.equal(value(parseDuration('0s')), 0);
    assert.equal(value(parseDuration('0.25ms')), 250);
  });

  it('decimals are exact, not float-rounded', () => {
    assert.equal(value(parseDuration('0.1s')), 100_000);
    assert.equal(value(parseDuration('0.3s')), 300_000);
    assert.equal(value(parseDuration('1.000001s')), 1_000_001);
  });

  it('a bare 0 needs no unit', () => {
    assert.equal(value(parseDuration(0)), 0);
  });

  it('1440m (24 h) is the longest', () => {
    assert.equal(value(parseDuration('1440m')), 86_400_000_000);
    assert.match(problem(parseDuration('1441m')), /longer than the limit/);
    assert.match(problem(parseDuration('86400.000001s')), /longer than the limit/);
  });

  it('rejects a missing unit, a negative value, an unknown unit, sub-microsecond precision', () => {
    assert.equal(problem(parseDuration(5)), '5 has no unit');
    assert.equal(problem(parseDuration('5')), '"5" has no unit');
    assert.equal(problem(parseDuration('-5ms')), '"-5ms" is negative');
    assert.equal(problem(parseDuration('2h')), '"2h" has an unknown unit "h"');
    assert.equal(problem(parseDuration('3sec')), '"3sec" has an unknown unit "sec"');
    assert.equal(problem(parseDuration('0.5us')), '"0.5us" is finer than 1us');
    assert.equal(problem(parseDuration('1e3ms')), '"1e3ms" is not a duration');
    assert.equal(problem(parseDuration('.5s')), '".5s" is not a duration');
    assert.equal(problem(parseDuration('')), '"" is not a duration');
    assert.equal(problem(parseDuration(true)), 'true is not a duration');
    assert.equal(problem(parseDuration(null)), 'empty is not a duration');
  });

  it('formats for messages', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(50), '50us');
    assert.equal(formatDuration(1_500), '1.5ms');
    assert.equal(formatDuration(1_500_000), '1.5s');
    assert.equal(formatDuration(120_000_000), '2m');
  });
});

describe('rates', () => {
  it('N/s, fractions allowed', () => {
    assert.equal(value(parseRate('400/s')), 400);
    assert.equal(value(parseRate('0.5/s')), 0.5);
    assert.equal(value(parseRate('1000000/s')), 1_000_000);
  });

  it('rejects negative, zero, no /s, other periods, over the limit', () => {
    assert.equal(problem(parseRate('-5/s')), '"-5/s" is negative');
    assert.equal(problem(parseRate('0/s')), '"0/s" is zero');
    assert.equal(problem(parseRate(400)), '400 has no "/s"');
    assert.equal(problem(parseRate('400')), '"400" has no "/s"');
    assert.equal(problem(parseRate('400/m')), '"400/m" is not per second');
    assert.equal(problem(parseRate('fast')), '"fast" is not a rate');
    assert.match(problem(parseRate('1000001/s')), /above the limit/);
  });
});

describe('fractions', () => {
  it('numbers 0..1 and percent strings', () => {
    assert.equal(value(parseFraction(0)), 0);
    assert.equal(value(parseFraction(1)), 1);
    assert.equal(value(parseFraction(0.25)), 0.25);
    assert.equal(value(parseFraction('0.5%')), 0.005);
    assert.equal(value(parseFraction('100%')), 1);
  });

  it('rejects above 1, negative, plain strings', () => {
    assert.equal(problem(parseFraction(1.5)), '1.5 is more than 1');
    assert.equal(problem(parseFraction('150%')), '"150%" is more than 100%');
    assert.equal(problem(parseFraction(-0.1)), '-0.1 is negative');
    assert.equal(problem(parseFraction('-1%')), '"-1%" is negative');
    assert.equal(problem(parseFraction('0.5')), '"0.5" is not a number or a percentage');
    assert.equal(problem(parseFraction(Number.NaN)), 'NaN is not a finite number');
  });
});

describe('integers', () => {
  it('in range, YAML exponent forms included', () => {
    assert.equal(value(parseInteger(1e3, 1, 10_000)), 1000);
    assert.equal(problem(parseInteger(1.5, 1, 10)), '1.5 is not an integer');
    assert.equal(problem(parseInteger(-1, 0, 10)), '-1 is negative');
    assert.equal(problem(parseInteger(11, 0, 10)), '11 is above the limit');
    assert.equal(problem(parseInteger('12', 0, 100)), '"12" is not a number');
  });
});

describe('names and addresses', () => {
  it('names are [a-z0-9-]+', () => {
    assert.equal(value(parseName('web-1')), 'web-1');
    assert.match(problem(parseName('Web_1')), /outside \[a-z0-9-\]/);
    assert.match(problem(parseName('a'.repeat(64))), /longer than 63/);
    assert.equal(problem(parseName('')), 'the name is empty');
  });

  it('IPv4 dotted quads, strictly', () => {
    assert.equal(value(parseIPv4('198.18.0.1')), '198.18.0.1');
    assert.equal(value(parseIPv4('0.0.0.0')), '0.0.0.0');
    for (const bad of ['198.18.0', '198.18.0.256', '198.018.0.1', '1.2.3.4.5', 'a.b.c.d', '::1', ' 1.2.3.4']) {
      assert.match(problem(parseIPv4(bad)), /is not an IPv4 address/, bad);
    }
  });

  it('host addresses are unicast', () => {
    assert.equal(value(parseHostAddress('10.0.0.1')), '10.0.0.1');
    for (const bad of ['0.0.0.0', '127.0.0.1', '224.0.0.1', '255.255.255.255']) {
      assert.match(problem(parseHostAddress(bad)), /not a unicast host address/, bad);
    }
  });

  it('endpoints: address:port or host:port', () => {
    assert.deepEqual(value(parseEndpoint('198.18.0.2:8081')), { host: { kind: 'address', address: '198.18.0.2' }, port: 8081 });
    assert.deepEqual(value(parseEndpoint('web1:80')), { host: { kind: 'name', name: 'web1' }, port: 80 });
    assert.deepEqual(value(parseEndpoint('198.18.0.2:0', { allowZero: true })), {
      host: { kind: 'address', address: '198.18.0.2' },
      port: 0,
    });
    assert.equal(problem(parseEndpoint('web1')), '"web1" has no ":port"');
    assert.equal(problem(parseEndpoint('web1:0')), '"web1:0" has port 0, out of range');
    assert.equal(problem(parseEndpoint('web1:65536')), '"web1:65536" has port 65536, out of range');
    assert.equal(problem(parseEndpoint('web1:http')), '"web1:http" has no valid port');
    assert.match(problem(parseEndpoint('1.2.3:80')), /is not an IPv4 address/);
    assert.equal(problem(parseEndpoint('Web_1:80')), '"Web_1:80" names neither an address nor a host');
  });
});

describe('TCP flags', () => {
  it('any order in, canonical S A F R P order out', () => {
    assert.equal(value(parseFlags('A')), 'A');
    assert.equal(value(parseFlags('FA')), 'AF');
    assert.equal(value(parseFlags('PRFAS')), 'SAFRP');
  });

  it('rejects unknown letters, repeats, empty', () => {
    assert.equal(problem(parseFlags('AX')), '"AX" has "X", not a flag letter');
    assert.equal(problem(parseFlags('AA')), '"AA" has "A" twice');
    assert.equal(problem(parseFlags('')), '"" is not a set of TCP flags');
    assert.equal(problem(parseFlags('a')), '"a" has "a", not a flag letter');
  });
});

describe('suggestions', () => {
  it('names the close candidate for a typo, nothing for a different word', () => {
    assert.equal(closest('duraton', ['name', 'duration', 'hosts']), 'duration');
    assert.equal(closest('adress', ['address', 'sysctl']), 'address');
    assert.equal(closest('hsots', ['hosts', 'links']), 'hosts');
    assert.equal(closest('colour', ['name', 'duration', 'hosts']), undefined);
  });
});
