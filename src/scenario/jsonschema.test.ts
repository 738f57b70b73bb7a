import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Document, LineCounter, parse as parseYaml, Scalar } from 'yaml';
import { ScenarioError } from './errors.js';
import { Reader, type Kind } from './reader.js';
import { bind, duration, endpoint, flags, fraction, hostAddress, linger, port, positiveDuration, rate } from './schema.js';
import { REGENERATE, SCHEMA_PATH } from './facts.js';
import { scenarioJsonSchema, scenarioJsonSchemaText } from './jsonschema.js';
import { repoRoot } from '../paths.js';

const ROOT = repoRoot();

type Schema = Record<string, unknown>;

/**
 * A small JSON Schema checker for the keywords this schema uses; any other keyword fails the
 * test, so the checker cannot silently ignore what a new table adds. Returns the problems.
 */
function check(value: unknown, schema: Schema, path = '$'): string[] {
  const problems: string[] = [];
  const fail = (what: string): void => {
    problems.push(`${path}: ${what}`);
  };
  for (const [keyword, arg] of Object.entries(schema)) {
    switch (keyword) {
      case '$schema':
      case 'title':
      case 'description':
      case 'default':
      case 'format':
        break;
      case 'type': {
        const types = Array.isArray(arg) ? (arg as string[]) : [arg as string];
        if (!types.some((t) => hasType(value, t))) fail(`is not ${types.join(' or ')}`);
        break;
      }
      case 'enum':
        if (!(arg as unknown[]).includes(value)) fail(`${String(value)} is not one of ${(arg as unknown[]).join(', ')}`);
        break;
      case 'const':
        if (value !== arg) fail(`is not ${String(arg)}`);
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(arg as string, 'u').test(value)) fail(`"${value}" does not match ${String(arg)}`);
        break;
      case 'minimum':
        if (typeof value === 'number' && value < (arg as number)) fail(`${value} < ${String(arg)}`);
        break;
      case 'maximum':
        if (typeof value === 'number' && value > (arg as number)) fail(`${value} > ${String(arg)}`);
        break;
      case 'maxLength':
        if (typeof value === 'string' && [...value].length > (arg as number)) fail('is too long');
        break;
      case 'minItems':
        if (Array.isArray(value) && value.length < (arg as number)) fail('has too few items');
        break;
      case 'maxItems':
        if (Array.isArray(value) && value.length > (arg as number)) fail('has too many items');
        break;
      case 'items':
        if (Array.isArray(value)) value.forEach((v, i) => problems.push(...check(v, arg as Schema, `${path}[${i}]`)));
        break;
      case 'minProperties':
        if (isObject(value) && Object.keys(value).length < (arg as number)) fail('has too few keys');
        break;
      case 'maxProperties':
        if (isObject(value) && Object.keys(value).length > (arg as number)) fail('has too many keys');
        break;
      case 'required':
        if (isObject(value)) for (const k of arg as string[]) if (!(k in value)) fail(`misses ${k}`);
        break;
      case 'properties':
        if (isObject(value)) {
          for (const [k, sub] of Object.entries(arg as Record<string, Schema>)) if (k in value) problems.push(...check(value[k], sub, `${path}.${k}`));
        }
        break;
      case 'additionalProperties':
        if (isObject(value)) {
          const known = Object.keys((schema['properties'] as Schema | undefined) ?? {});
          for (const [k, v] of Object.entries(value)) {
            if (known.includes(k)) continue;
            if (arg === false) fail(`has the unknown key ${k}`);
            else problems.push(...check(v, arg as Schema, `${path}.${k}`));
          }
        }
        break;
      case 'propertyNames':
        if (isObject(value)) for (const k of Object.keys(value)) problems.push(...check(k, arg as Schema, `${path}{${k}}`));
        break;
      case 'oneOf': {
        const matching = (arg as Schema[]).filter((s) => check(value, s, path).length === 0).length;
        if (matching !== 1) fail(`matches ${matching} of the oneOf choices`);
        break;
      }
      default:
        assert.fail(`the test's checker does not know the keyword ${keyword} (at ${path})`);
    }
  }
  return problems;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasType(v: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    default:
      return assert.fail(`unknown type ${type}`);
  }
}

/** Every `properties` entry, with its path. */
function properties(schema: unknown, path = '$'): [string, Schema][] {
  if (!isObject(schema)) return Array.isArray(schema) ? schema.flatMap((s, i) => properties(s, `${path}[${i}]`)) : [];
  const out: [string, Schema][] = [];
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' && isObject(v)) for (const [name, sub] of Object.entries(v)) out.push([`${path}.${name}`, sub as Schema]);
    out.push(...properties(v, `${path}/${k}`));
  }
  return out;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f));
}

function yamlOf(file: string): unknown {
  return parseYaml(readFileSync(file, 'utf8'), { merge: true });
}

/** Whether the loader's kind reads the raw value (as a YAML scalar in a file). */
function loaderAccepts(kind: Kind<unknown>, raw: unknown): boolean {
  const reader = new Reader('t', new LineCounter(), new Document());
  reader.hosts.set('server', '198.18.0.2');
  try {
    kind.read(reader, new Scalar(raw), 'key');
    return true;
  } catch (e) {
    if (e instanceof ScenarioError) return false;
    throw e;
  }
}

describe('the schema of each value agrees with the loader', () => {
  // [kind, values both accept, values both refuse, values only the loader refuses].
  const cases: [string, Kind<unknown>, unknown[], unknown[], unknown[]][] = [
    [
      'duration',
      duration,
      [0, '0s', '-0s', '-0.0ms', '+5s', '5s', '5 s', '1.5s', '50us', '200ms', '2m', '1440m', '0.000001s'],
      [5, 1.5, -1, '5', '0', '-5ms', '5h', '5sec', 's', '.5s', '5.s', 'off', true, null, ''],
      ['0.5us', '1441m'],
    ],
    ['positive duration (duration, series)', positiveDuration, ['1us', '5s', '0.5s', '00.1ms', '+1s'], [0, 5, '0s', '0.0s', '-0s', '-1s', '5'], ['0.0000001s', '2000m']],
    [
      'linger',
      linger,
      [0, 'off', '0s', '0ms', '-0s', '5s', '5.0s', '2m', '1.5m', '5000ms', '10000ms', '3000000us', '+5s'],
      [5, '5', '1.5s', '1500ms', '1500000us', '5h', 'on', -1],
      ['0.01m', '1441m'],
    ],
    [
      'fraction (loss, duplicate, reorder)',
      fraction,
      [0, 1, 0.5, '0%', '0.5%', '100%', '100.0%', '050%', '-0%', '+5%', '5 %'],
      [-0.1, 1.5, '101%', '100.5%', '-1%', '1000%', '5', 'half', true],
      [],
    ],
    [
      'rate',
      rate,
      ['serial', '400/s', '0.5/s', '+1/s', '1 / s', '1000000/s', '999999.5/s', '0.001/s'],
      [400, '0/s', '0.0/s', '-5/s', '-0/s', '1000000.5/s', '2000000/s', '400/m', '400', 'fast', '.5/s'],
      [],
    ],
    ['port', port, [1, 80, 65535], [0, 65536, -1, 1.5, '80'], []],
    [
      'endpoint (target, upstreams)',
      endpoint,
      ['198.18.0.2:8081', 'server:80', '198.18.0.2:65535', '198.18.0.2:1', '198.18.0.2:080', '192.0.2.99:443', '126.0.0.1:80', '223.255.255.255:1'],
      ['198.18.0.2', '198.18.0.2:0', '198.18.0.2:65536', '198.18.0.2:123456', '198.18.0.300:80', '127.0.0.1:80', '0.1.2.3:80', '224.0.0.1:80', '198.018.0.2:80', 'Server:80', '123:80', ':80', 80],
      ['web:80'],
    ],
    [
      'bind',
      bind,
      ['none', '0.0.0.0:0', '198.18.0.1:40000', '198.18.0.1:0', '0.0.0.0:65535', '198.18.0.9:80'],
      ['0.0.0.0:65536', '198.18.0.1', 'client:80', '127.0.0.1:80', '0.0.0.0:-1'],
      [],
    ],
    ['host address', hostAddress, ['198.18.0.1', '10.0.0.1', '1.0.0.0', '223.255.255.254', '128.0.0.1'], ['127.0.0.1', '0.0.0.1', '224.0.0.1', '255.255.255.255', '198.18.0', '198.18.0.256', '198.18.01.1', 'host'], []],
    ['flags', flags, ['S', 'A', 'FA', 'SAFRP', 'PRFAS'], ['', 'X', 'AX', 'SS', 'AFA', 's'], []],
  ];
  for (const [name, kind, both, neither, loaderOnly] of cases) {
    it(name, () => {
      for (const raw of both) {
        assert.ok(loaderAccepts(kind, raw), `the loader refuses ${JSON.stringify(raw)}`);
        assert.deepEqual(check(raw, kind.json as Schema), [], `the schema refuses ${JSON.stringify(raw)}`);
      }
      for (const raw of neither) {
        assert.ok(!loaderAccepts(kind, raw), `the loader accepts ${JSON.stringify(raw)}`);
        assert.notDeepEqual(check(raw, kind.json as Schema), [], `the schema accepts ${JSON.stringify(raw)}`);
      }
      for (const raw of loaderOnly) {
        assert.ok(!loaderAccepts(kind, raw), `the loader accepts ${JSON.stringify(raw)}`);
        assert.deepEqual(check(raw, kind.json as Schema), [], `the schema refuses ${JSON.stringify(raw)}; move it to the values both refuse`);
      }
    });
  }
});

describe('the scenario JSON Schema', () => {
  it(`${SCHEMA_PATH} is what twlab schema prints now`, () => {
    const committed = readFileSync(join(ROOT, SCHEMA_PATH), 'utf8');
    assert.ok(committed === scenarioJsonSchemaText(), `${SCHEMA_PATH} is out of date: the loader's tables changed. Regenerate it from the repository root after npm run build: ${REGENERATE.replace('twlab', 'node dist/src/cli/main.js')}`);
  });

  it('is draft 2020-12 and closed at the top level', () => {
    const schema = scenarioJsonSchema() as Schema;
    assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(schema['required'], ['name', 'duration', 'hosts']);
    assert.equal(schema['additionalProperties'], false);
  });

  it('every key has a description', () => {
    const missing = properties(scenarioJsonSchema()).filter(([, s]) => typeof s['description'] !== 'string' || s['description'] === '');
    assert.deepEqual(missing.map(([p]) => p), []);
  });

  it('value schemas shared between keys keep their own descriptions', () => {
    const host = (scenarioJsonSchema() as { properties: { clients: { items: { properties: Record<string, Schema> } } } }).properties.clients.items.properties;
    assert.notEqual(host['start']?.['description'], host['hold']?.['description']);
  });

  it('accepts every built-in scenario and every file in test/scenarios/valid', () => {
    const files = [...yamlFiles(join(ROOT, 'scenarios')), ...yamlFiles(join(ROOT, 'test/scenarios/valid'))];
    assert.ok(files.length > 10);
    for (const file of files) assert.deepEqual(check(yamlOf(file), scenarioJsonSchema() as Schema), [], file);
  });

  // test/scenarios/malformed: every fixture the loader refuses, sorted by whether a schema can
  // see the mistake. A new fixture has to be put in one list or the other.
  const SCHEMA_SEES = [
    'bad-address', 'bad-host-name', 'bad-scenario-name', 'client-close-never', 'close-mode-typo', 'count-not-integer',
    'count-too-large', 'duration-negative', 'duration-no-unit', 'duration-unknown-unit', 'duration-zero', 'empty-value',
    'fault-bad-flags', 'fault-bad-state', 'fault-two-actions', 'fraction-above-one', 'fraction-negative-percent',
    'linger-fractional-seconds', 'loopback-address', 'missing-client-count', 'missing-hosts', 'missing-name',
    'port-out-of-range', 'rate-negative', 'rate-no-per-second', 'rate-zero', 'sysctl-unknown-name', 'target-without-port',
    'top-level-list', 'unknown-kernel', 'unknown-key-in-host', 'unknown-key-no-suggestion', 'unknown-key-typo',
    'what-if-unknown-knob', 'wrong-type-clients-mapping', 'wrong-type-seed',
  ];
  const LOADER_ONLY = {
    'references to hosts, and what spans keys': [
      'bind-foreign-address', 'client-starts-after-end', 'duplicate-address', 'link-to-itself', 'link-twice', 'nat-inside-itself',
      'proxy-loop', 'proxy-loop-to-itself', 'proxy-port-taken-by-server', 'series-too-fine', 'server-port-twice',
      'snapshot-after-end', 'unknown-host-client', 'unknown-host-fault', 'unknown-host-link', 'unknown-host-nat',
      'unknown-host-server', 'unknown-host-target', 'unknown-host-upstream',
    ],
    'limits a pattern does not hold (24 hours, 1us)': ['duration-sub-microsecond', 'duration-too-long'],
    'sysctl values, per kernel': ['sysctl-bad-value', 'sysctl-unknown-on-profile'],
    'YAML the parser refuses, or an empty document': [
      'alias-merge-bomb', 'alias-undefined', 'empty-file', 'yaml-compact-mapping', 'yaml-duplicate-key', 'yaml-key-without-colon',
      'yaml-syntax-error', 'yaml-tab-indent', 'yaml-two-documents',
    ],
  };

  it('every malformed fixture is either refused by the schema too, or listed as one only the loader sees', () => {
    const fixtures = yamlFiles(join(ROOT, 'test/scenarios/malformed')).map((f) => basename(f, '.yaml')).sort();
    const listed = [...SCHEMA_SEES, ...Object.values(LOADER_ONLY).flat()];
    assert.deepEqual([...listed].sort(), fixtures, 'each fixture in exactly one list');
    for (const name of SCHEMA_SEES) {
      const doc = yamlOf(join(ROOT, 'test/scenarios/malformed', `${name}.yaml`));
      assert.notDeepEqual(check(doc, scenarioJsonSchema() as Schema), [], `${name}: the schema accepts what the loader refuses`);
    }
    for (const name of LOADER_ONLY['references to hosts, and what spans keys']) {
      const doc = yamlOf(join(ROOT, 'test/scenarios/malformed', `${name}.yaml`));
      assert.deepEqual(check(doc, scenarioJsonSchema() as Schema), [], `${name}: the schema sees it now; move it to SCHEMA_SEES`);
    }
  });

  it('marks an unknown key, a misspelt sysctl and a bad enum value', () => {
    const doc = {
      name: 'x',
      duration: '1s',
      clinets: [],
      hosts: { a: { address: '198.18.0.1', sysctl: { 'net.ipv4.tcp_tw_reuse': 1, 'net.ipv4.tcp_tw_reuze': 1 } } },
      servers: [{ host: 'a', port: 80, close: 'frist' }],
    };
    const problems = check(doc, scenarioJsonSchema() as Schema).join('\n');
    assert.match(problems, /unknown key clinets/);
    assert.match(problems, /unknown key net\.ipv4\.tcp_tw_reuze/);
    assert.match(problems, /\$\.servers\[0\]\.close: frist is not one of/);
  });
});
