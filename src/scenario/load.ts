// Scenario format v1 -> Scenario: parse the YAML once, check every key against the tables
// in schema.ts, resolve host references, check what spans keys, and normalise (defaults
// filled in, times in integer microseconds). Every failure is one ScenarioError line.

import { readFileSync, statSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type YAMLError } from 'yaml';
import { applySysctl, defaultSysctls, SysctlError, type KernelProfileName } from '../tcp/sysctl.js';
import { ScenarioError } from './errors.js';
import { joinKey, Reader, type MapView } from './reader.js';
import {
  CLIENT,
  FAULT,
  HOST,
  LINK,
  PROXY,
  SCENARIO,
  SCENARIO_ALLOWED,
  SERVER,
  type Named,
} from './schema.js';
import type { ClientSpec, FaultSpec, HostSpec, LinkSpec, Micros, ProxySpec, Scenario, ServerSpec } from './types.js';
import { formatDuration, LIMITS, show } from './units.js';

/** Larger files are refused before parsing: no scenario comes near it. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Reads and parses a scenario file. The only place the loader touches the file system. */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_FILE_BYTES) {
      throw new ScenarioError(path, undefined, '(file)', `is ${size} bytes`, `a scenario file of at most ${MAX_FILE_BYTES} bytes`);
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    throw new ScenarioError(path, undefined, '(file)', `cannot be read (${describeFsError(e)})`, 'a readable scenario YAML file');
  }
  return parseScenario(text, path);
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return code ?? (e instanceof Error ? e.message : String(e));
  }
}

/** Parses scenario text; `source` names it in messages and in `Scenario.source`. */
export function parseScenario(text: string, source: string): Scenario {
  try {
    return parse(text, source);
  } catch (e) {
    // A document nested thousands of levels deep can exhaust the stack in yaml or here.
    if (e instanceof RangeError) throw new ScenarioError(source, undefined, '(yaml)', 'nests too deeply to read', 'a scenario nested a few levels deep');
    throw e;
  }
}

function parse(text: string, source: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) throw fromYamlError(yamlError, doc, lines, source);
  const r = new Reader(source, lines, doc);
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw new ScenarioError(source, { line: 1, col: 1 }, '(top level)', 'the file is empty', SCENARIO_ALLOWED);
  }
  const root = r.resolve(doc.contents, '(top level)', doc.contents);
  if (!isMap(root)) r.fail(root, '(top level)', `is ${isSeq(root) ? 'a list' : show(root.value)}, not a mapping`, SCENARIO_ALLOWED);
  return readScenario(r, r.view(root, '', SCENARIO, SCENARIO_ALLOWED), source);
}

/**
 * A parse error of the YAML itself. Only a duplicate key names its key path: the parser read
 * the mapping. Anything else is "YAML syntax", as the parser says it: the document around a
 * syntax error is half-read, so a key path found there would be made up ("seed.1 oops").
 */
function fromYamlError(e: YAMLError, doc: Document, lines: LineCounter, source: string): ScenarioError {
  const offset = e.pos[0];
  const position = lines.linePos(offset);
  switch (e.code) {
    case 'DUPLICATE_KEY':
      return new ScenarioError(source, position, keyAt(doc.contents, offset, '') || YAML_SYNTAX, 'the key appears twice', 'each key once per mapping');
    case 'MULTIPLE_DOCS':
      return new ScenarioError(source, position, YAML_SYNTAX, 'a second YAML document starts here (---)', 'one scenario per file');
    default:
      if (/call stack/i.test(e.message)) return new ScenarioError(source, position, '(yaml)', 'nests too deeply to read', 'a scenario nested a few levels deep');
      return new ScenarioError(source, position, YAML_SYNTAX, e.message, 'YAML 1.2 (https://yaml.org/spec/1.2.2/)');
  }
}

/** The key of errors in the YAML itself, where no scenario key can be named. */
const YAML_SYNTAX = 'YAML syntax';

/** The key path of the innermost key or value at `offset`, '' when there is none. */
function keyAt(node: unknown, offset: number, path: string): string {
  const contains = (n: unknown): boolean => {
    const range = (n as Node | null)?.range;
    return !!range && offset >= range[0] && offset < Math.max(range[2], range[0] + 1);
  };
  if (isMap(node)) {
    for (const pair of node.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : '?';
      if (contains(pair.key)) return joinKey(path, name);
      if (contains(pair.value)) return keyAt(pair.value, offset, joinKey(path, name));
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      if (contains(item)) return keyAt(item, offset, `${path}[${i}]`);
    }
  }
  return path;
}

function readScenario(r: Reader, top: MapView<typeof SCENARIO>, source: string): Scenario {
  const name = top.get('name');
  const description = top.get('description');
  const kernel = top.get('kernel');
  const seed = top.get('seed');
  const duration = top.get('duration');

  const hosts = readHosts(r, top.get('hosts'), kernel);
  const links = readLinks(r, top.get('links') ?? []);
  const faults = (top.get('faults') ?? []).map((fault) => readFault(r, fault));
  const listeners = new Listeners(r);
  const servers = (top.get('servers') ?? []).map((server) => readServer(server, listeners));
  const clients = (top.get('clients') ?? []).map((client) => readClient(r, client, duration));
  const proxyViews = top.get('proxies') ?? [];
  const proxies = proxyViews.map((proxy) => readProxy(proxy, listeners));
  checkProxyLoops(r, proxyViews, proxies);

  const snapshots = new Set<Micros>();
  for (const at of top.get('snapshots') ?? []) {
    const late = snapshotProblem(at.value, duration);
    if (late) r.fail(at.node, at.key, late.problem, late.allowed);
    snapshots.add(at.value);
  }

  const series = top.get('series');
  const tooMany = seriesProblem(series, duration);
  if (tooMany) r.fail(top.at('series'), 'series', tooMany.problem, tooMany.allowed);

  return {
    name,
    ...(description === undefined ? {} : { description: description.trimEnd() }),
    kernel,
    seed,
    duration,
    hosts,
    links,
    faults,
    servers,
    clients,
    proxies,
    snapshots: [...snapshots].sort((a, b) => a - b),
    series,
    source,
  };
}

// ---------------------------------------------------------------------------------------
// Keys checked against the run length. Exported for overrides.ts, which changes the duration
// after loading (--duration, --set duration=...) and must check the same things.

/** What is wrong with a value, and what would be accepted; undefined when nothing is. */
export interface Problem {
  problem: string;
  allowed: string;
}

/** clients[].start: a workload must start before the run ends. */
export function startProblem(start: Micros, duration: Micros): Problem | undefined {
  if (start < duration) return undefined;
  return { problem: `${formatDuration(start)} is not before the end of the run`, allowed: `a time before the duration, ${formatDuration(duration)}` };
}

/** snapshots[]: taken within the run. */
export function snapshotProblem(at: Micros, duration: Micros): Problem | undefined {
  if (at <= duration) return undefined;
  return { problem: `${formatDuration(at)} is after the end of the run`, allowed: `times from 0s to the duration, ${formatDuration(duration)}` };
}

/** series: at most LIMITS.maxSamples samples over the run. */
export function seriesProblem(series: Micros, duration: Micros): Problem | undefined {
  const samples = Math.floor(duration / series) + 1;
  if (samples <= LIMITS.maxSamples) return undefined;
  return { problem: `${formatDuration(series)} gives ${samples} samples over ${formatDuration(duration)}`, allowed: `at most ${LIMITS.maxSamples} samples: a longer interval` };
}

function readHosts(r: Reader, entries: Named<typeof HOST>[], kernel: KernelProfileName): HostSpec[] {
  // Names and addresses first: nat.inside may name a host defined further down.
  const owners = new Map<string, string>();
  for (const { name, view } of entries) {
    const address = view.get('address');
    const owner = owners.get(address);
    if (owner !== undefined) r.fail(view.at('address'), view.keyOf('address'), `${address} is already the address of host "${owner}"`, 'a different address for each host');
    owners.set(address, name);
    r.hosts.set(name, address);
  }
  const natOf = new Map<string, string>();
  return entries.map(({ name, view }) => {
    let sysctl = defaultSysctls(kernel);
    const sysctlSet: Record<string, string | number> = {};
    for (const entry of view.get('sysctl') ?? []) {
      try {
        sysctl = applySysctl(kernel, sysctl, entry.name, entry.raw);
      } catch (e) {
        if (!(e instanceof SysctlError)) throw e;
        r.fail(entry.node, entry.key, e.problem, e.allowed);
      }
      sysctlSet[entry.name] = typeof entry.raw === 'number' ? entry.raw : String(entry.raw);
    }
    const host: HostSpec = { name, address: view.get('address'), sysctl, sysctlSet };

    const nat = view.get('nat');
    if (nat) {
      const inside: string[] = [];
      for (const ref of nat.get('inside')) {
        if (ref.value === name) r.fail(ref.node, ref.key, `"${name}" cannot masquerade itself`, 'other hosts');
        const other = natOf.get(ref.value);
        if (other !== undefined) r.fail(ref.node, ref.key, `"${ref.value}" is already inside the NAT of "${other}"`, 'each host inside at most one NAT');
        natOf.set(ref.value, name);
        inside.push(ref.value);
      }
      host.nat = { inside };
    }

    const whatIf = view.get('what_if');
    if (whatIf) {
      const timewaitLen = whatIf.get('timewait_len');
      host.whatIf = timewaitLen === undefined ? {} : { timewaitLen };
    }
    return host;
  });
}

function readLinks(r: Reader, views: MapView<typeof LINK>[]): LinkSpec[] {
  const joined = new Map<string, string>();
  return views.map((view) => {
    const [a, b] = view.get('between');
    if (!a || !b) throw new Error('unreachable: between has exactly two items');
    if (a.value === b.value) r.fail(b.node, b.key, `"${b.value}" is the other end too`, 'two different hosts');
    const pair = [a.value, b.value].sort().join(' and ');
    const other = joined.get(pair);
    if (other !== undefined) r.fail(view.at('between'), view.keyOf('between'), `${other} already joins ${pair}`, 'one link per pair of hosts');
    joined.set(pair, view.key);
    return {
      between: [a.value, b.value],
      delay: view.get('delay'),
      jitter: view.get('jitter'),
      loss: view.get('loss'),
      duplicate: view.get('duplicate'),
      reorder: view.get('reorder'),
    };
  });
}

function readFault(r: Reader, view: MapView<typeof FAULT>): FaultSpec {
  const from = view.get('from');
  const to = view.get('to');
  if (to === from) r.fail(view.at('to'), view.keyOf('to'), `"${to}" is also the sender`, 'a host other than from');
  const flags = view.get('flags');
  const payload = view.get('payload');
  const senderState = view.get('sender_state');
  const nth = view.get('nth');
  const count = view.get('count');
  return {
    from,
    ...(to === undefined ? {} : { to }),
    ...(flags === undefined ? {} : { flags }),
    ...(payload === undefined ? {} : { payload }),
    ...(senderState === undefined ? {} : { senderState }),
    ...(nth === undefined ? {} : { nth }),
    ...(count === undefined ? {} : { count }),
    action: view.get('action'),
  };
}

/** Listening sockets by host and port: servers and proxies may not share one. */
class Listeners {
  private readonly owners = new Map<string, string>();
  constructor(private readonly r: Reader) {}

  claim(view: MapView<typeof SERVER> | MapView<typeof PROXY>, host: string, port: number): void {
    const id = `${host}:${port}`;
    const owner = this.owners.get(id);
    if (owner !== undefined) {
      this.r.fail(view.at('port'), view.keyOf('port'), `port ${port} on host "${host}" is already used by ${owner}`, 'one server or proxy per host and port');
    }
    this.owners.set(id, view.key);
  }
}

function readServer(view: MapView<typeof SERVER>, listeners: Listeners): ServerSpec {
  const host = view.get('host');
  const port = view.get('port');
  listeners.claim(view, host, port);
  return {
    host,
    port,
    close: view.get('close'),
    linger: view.get('linger'),
    responseBytes: view.get('response_bytes'),
    backlog: view.get('backlog'),
  };
}

function readClient(r: Reader, view: MapView<typeof CLIENT>, duration: Micros): ClientSpec {
  const host = view.get('host');
  const start = view.get('start');
  const late = startProblem(start, duration);
  if (late) r.fail(view.at('start'), view.keyOf('start'), late.problem, late.allowed);
  const bind = view.get('bind');
  const address = r.hosts.get(host);
  if (bind && bind.address !== '0.0.0.0' && bind.address !== address) {
    r.fail(view.at('bind'), view.keyOf('bind'), `${bind.address} is not an address of host "${host}"`, `none, or "${address}:PORT" or "0.0.0.0:PORT" (port 0 = any)`);
  }
  return {
    host,
    target: view.get('target'),
    count: view.get('count'),
    rate: view.get('rate'),
    start,
    close: view.get('close'),
    hold: view.get('hold'),
    requestBytes: view.get('request_bytes'),
    linger: view.get('linger'),
    bind,
    reuseaddr: view.get('reuseaddr'),
    recordPorts: view.get('record_ports'),
    reuseport: view.get('reuseport'),
    bindAddressNoPort: view.get('bind_address_no_port'),
  };
}

function readProxy(view: MapView<typeof PROXY>, listeners: Listeners): ProxySpec {
  const host = view.get('host');
  const port = view.get('port');
  listeners.claim(view, host, port);
  return {
    host,
    port,
    upstreams: view.get('upstreams').map((u) => u.value),
    upstreamClose: view.get('upstream_close'),
    keepalive: view.get('keepalive'),
  };
}

/**
 * A proxy whose upstreams lead back to itself (a -> a, a -> b -> a) would forward each
 * request around the loop until ports or the run ran out: refused, naming the loop.
 */
function checkProxyLoops(r: Reader, views: MapView<typeof PROXY>[], proxies: ProxySpec[]): void {
  const byListener = new Map<string, number>();
  proxies.forEach((p, i) => byListener.set(`${r.hosts.get(p.host)}:${p.port}`, i));
  const name = (i: number): string => `proxies[${i}] (${proxies[i]?.host}:${proxies[i]?.port})`;
  const done = new Set<number>();
  const path: number[] = [];
  const visit = (i: number): void => {
    path.push(i);
    for (const upstream of views[i]?.get('upstreams') ?? []) {
      const next = byListener.get(`${upstream.value.address}:${upstream.value.port}`);
      if (next === undefined || done.has(next)) continue;
      const from = path.indexOf(next);
      if (from >= 0) {
        const loop = [...path.slice(from), next].map(name).join(' -> ');
        r.fail(upstream.node, upstream.key, `${show(upstream.value.text)} closes a proxy loop: ${loop}`, 'upstreams that lead to servers, not back to a proxy that forwards here');
      }
      visit(next);
    }
    path.pop();
    done.add(i);
  };
  for (let i = 0; i < proxies.length; i++) if (!done.has(i)) visit(i);
}
