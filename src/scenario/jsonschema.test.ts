import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
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

  it('accepts every built-in scenario and the everything fixture', () => {
    const files = [
      ...readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => join(ROOT, 'scenarios', f)),
      join(ROOT, 'test/scenarios/valid/everything.yaml'),
    ];
    for (const file of files) {
      const doc: unknown = parseYaml(readFileSync(file, 'utf8'), { merge: true });
      assert.deepEqual(check(doc, scenarioJsonSchema() as Schema), [], file);
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
