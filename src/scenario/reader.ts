// Reading a parsed YAML document with positions: every value the loader looks at comes
// through a Reader, so every failure can say FILE:LINE:COL and the key path. Also the
// small table machinery the schema is written in: a Kind reads one value, a Field says
// whether a key is required or what its default is, a Section is a table of Fields.

import { isAlias, isMap, isScalar, isSeq, Scalar, visit, type Alias, type Document, type LineCounter, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { ScenarioError, type Position } from './errors.js';
import { closest, show } from './units.js';

/** A node with aliases resolved. */
export type Value = Scalar | YAMLMap | YAMLSeq;

/**
 * Work limit: YAML nodes handed out while reading, aliases counted each time they are
 * followed. Far above any real scenario; it stops alias bombs ("billion laughs") and
 * pathological files from hanging the loader.
 */
export const MAX_NODES_READ = 1_000_000;

/** `a` + `b` -> `a.b`; the top level has no prefix. */
export function joinKey(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

interface Entry {
  keyNode: Node;
  /** null when the key has no value at all (`? key` without `:`). */
  value: Node | null;
}

export class Reader {
  /** Hosts by name -> address, filled in by the loader once `hosts:` is read. */
  readonly hosts = new Map<string, string>();
  private readonly aliasTargets = new Map<Alias, Node | undefined>();
  private nodesRead = 0;

  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
    doc: Document,
  ) {
    // An alias refers to the last node with that anchor before it (YAML 1.2 sec. 3.2.2.2).
    // One pass in document order instead of yaml's Alias.resolve, which rescans the document
    // on every call.
    const anchors = new Map<string, Node>();
    visit(doc, {
      Node: (_key, node) => {
        if (isAlias(node)) this.aliasTargets.set(node, anchors.get(node.source));
        else if (node.anchor) anchors.set(node.anchor, node);
      },
    });
  }

  position(node: Node | null | undefined): Position | undefined {
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    return this.lines.linePos(offset);
  }

  fail(node: Node | null | undefined, key: string, problem: string, allowed: string): never {
    throw new ScenarioError(this.file, this.position(node), key || '(top level)', problem, allowed);
  }

  /** Follows aliases; `at` locates an error when the value is missing altogether. */
  resolve(node: Node | null, key: string, at: Node): Value {
    if (++this.nodesRead > MAX_NODES_READ) {
      this.fail(node ?? at, key, `the file expands to more than ${MAX_NODES_READ} YAML nodes (aliases?)`, 'a smaller file, fewer aliases');
    }
    if (node === null) this.fail(at, key, 'has no value', 'a value after the colon');
    if (!isAlias(node)) return node as Value;
    const target = this.aliasTargets.get(node);
    if (target === undefined) this.fail(node, key, `alias *${node.source} refers to no anchor before it`, `an alias to an earlier &${node.source}`);
    return this.resolve(target, key, node);
  }

  /** The JS value of a scalar node (string, number, boolean or null). */
  scalar(node: Value, key: string, allowed: string): unknown {
    if (!isScalar(node)) this.fail(node, key, `is ${isSeq(node) ? 'a list' : 'a mapping'}`, allowed);
    if (node.value === null) this.fail(node, key, 'has no value', allowed);
    return node.value;
  }

  /** The items of a list, aliases resolved, with their key paths. */
  list(node: Value, key: string, allowed: string): Array<{ node: Value; key: string }> {
    if (!isSeq(node)) this.fail(node, key, `is ${show(isScalar(node) ? node.value : {})}, not a list`, allowed);
    return node.items.map((item, i) => {
      const itemKey = `${key}[${i}]`;
      return { node: this.resolve(item as Node | null, itemKey, node), key: itemKey };
    });
  }

  /**
   * The keys of a mapping in file order, `<<` merge keys expanded (explicit keys win, then
   * earlier merge sources). Duplicate keys never get here: yaml reports them at parse time.
   */
  entries(node: Value, key: string, allowed: string, merging: Set<Value> = new Set()): Map<string, Entry> {
    if (!isMap(node)) this.fail(node, key, `is ${show(isScalar(node) ? node.value : [])}, not a mapping`, allowed);
    if (merging.has(node)) this.fail(node, key, 'a << merge includes the mapping itself', 'merges of other mappings');
    const out = new Map<string, Entry>();
    const merges: Array<{ value: Node | null; keyNode: Node }> = [];
    for (const pair of node.items) {
      const rawKey = pair.key as Node | null;
      const keyNode = rawKey === null ? null : this.resolve(rawKey, key, node);
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        merges.push({ value: pair.value as Node | null, keyNode });
        continue;
      }
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        this.fail(keyNode ?? node, key, 'has a key that is not a plain name', 'keys that are plain names');
      }
      out.set(String(keyNode.value), { keyNode, value: pair.value as Node | null });
    }
    merging.add(node);
    for (const merge of merges) {
      const source = this.resolve(merge.value, `${key}.<<`, merge.keyNode);
      const maps = isSeq(source) ? this.list(source, `${key}.<<`, 'mappings').map((i) => i.node) : [source];
      for (const map of maps) {
        for (const [name, entry] of this.entries(map, `${key}.<<`, 'a mapping or a list of mappings to merge', merging)) {
          if (!out.has(name)) out.set(name, entry);
        }
      }
    }
    merging.delete(node);
    return out;
  }

  /** A mapping read against a section table: unknown and missing keys fail here. */
  view<S extends Section>(node: Value, key: string, section: S, allowed: string): MapView<S> {
    const entries = this.entries(node, key, allowed);
    const known = Object.keys(section);
    for (const [name, entry] of entries) {
      if (name in section) continue;
      const guess = closest(name, known);
      const hint = guess ? ` (did you mean "${guess}"?)` : '';
      this.fail(entry.keyNode, joinKey(key, name), `unknown key${hint}`, known.join(', '));
    }
    for (const [name, field] of Object.entries(section)) {
      if (field.required && !entries.has(name)) {
        this.fail(node, joinKey(key, name), 'required key is missing', field.kind.allowed);
      }
    }
    return new MapView(this, node, key, section, entries);
  }
}

// ---------------------------------------------------------------------------------------
// Schema tables

/** A JSON Schema fragment. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** How to read one kind of value. `allowed` (for messages) and `json` document the format. */
export interface Kind<T> {
  readonly allowed: string;
  readonly json: JsonSchema;
  read(r: Reader, node: Value, key: string): T;
}

export interface Field<T> {
  readonly kind: Kind<unknown>;
  readonly required: boolean;
  /** The default, written as a file would write it; none: an absent key reads as undefined. */
  readonly default?: string | number | boolean;
  /** Type carrier only. */
  readonly _type?: T;
}

export type Section = Readonly<Record<string, Field<unknown>>>;
export type FieldValue<F> = F extends Field<infer T> ? T : never;
export type SectionValues<S extends Section> = { -readonly [K in keyof S]: FieldValue<S[K]> };

export const required = <T>(kind: Kind<T>): Field<T> => ({ kind, required: true });
export const optional = <T>(kind: Kind<T>): Field<T | undefined> => ({ kind, required: false });
export const withDefault = <T>(kind: Kind<T>, written: string | number | boolean): Field<T> => ({
  kind,
  required: false,
  default: written,
});

/** The JSON Schema of a mapping described by a section table. */
export function sectionJson(section: Section): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, field] of Object.entries(section)) {
    properties[name] = field.default === undefined ? field.kind.json : { ...field.kind.json, default: field.default };
  }
  const requiredKeys = Object.entries(section).filter(([, field]) => field.required).map(([name]) => name);
  return { type: 'object', properties, required: requiredKeys, additionalProperties: false };
}

/** One mapping checked against its section; values are read on demand, in the caller's order. */
export class MapView<S extends Section> {
  constructor(
    private readonly r: Reader,
    readonly node: Value,
    readonly key: string,
    private readonly section: S,
    private readonly entries: Map<string, Entry>,
  ) {}

  has(name: keyof S & string): boolean {
    return this.entries.has(name);
  }

  get<K extends keyof S & string>(name: K): FieldValue<S[K]> {
    const field = this.section[name] as Field<unknown>;
    const key = joinKey(this.key, name);
    const entry = this.entries.get(name);
    if (entry) return field.kind.read(this.r, this.r.resolve(entry.value, key, entry.keyNode), key) as FieldValue<S[K]>;
    if (field.default === undefined) return undefined as FieldValue<S[K]>;
    return field.kind.read(this.r, new Scalar(field.default), key) as FieldValue<S[K]>;
  }

  /** Every key of the section, in table order. */
  all(): SectionValues<S> {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(this.section)) out[name] = this.get(name);
    return out as SectionValues<S>;
  }

  /** Where a key's value is (or the mapping, when the key is absent), for later checks. */
  at(name: keyof S & string): Node {
    const entry = this.entries.get(name);
    return entry?.value ?? entry?.keyNode ?? this.node;
  }

  keyOf(name: keyof S & string): string {
    return joinKey(this.key, name);
  }
}
