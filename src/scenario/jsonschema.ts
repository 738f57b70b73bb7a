// The JSON Schema (draft 2020-12) of scenario format v1, for editors: completion, hover
// text and squiggles while writing a scenario. Built from the loader's own tables
// (schema.ts through sectionJson, sysctl.ts for the sysctl names), with a description for
// every key written here; the type of DOCS makes a new key in the tables a compile error
// until it is described. `twlab schema` prints it; schema/scenario-v1.schema.json is the
// committed copy (a test checks that it is up to date).

import { applySysctl, defaultSysctls, KERNEL_PROFILES, SysctlError, sysctlNames, type KernelProfileName } from '../tcp/sysctl.js';
import { REGENERATE } from './facts.js';
import { sectionJson, type JsonSchema, type Section } from './reader.js';
import { CLIENT, FAULT, HOST, LINK, NAT, PROXY, SCENARIO, SERVER, WHAT_IF } from './schema.js';

export const SCHEMA_DRAFT = 'https://json-schema.org/draft/2020-12/schema';

/** A description for every key of a section, and the sections nested under some keys. */
interface Described {
  section: Section;
  docs: Readonly<Record<string, string>>;
  children: Readonly<Record<string, Described>>;
}

function described<S extends Section>(section: S, docs: { readonly [K in keyof S]: string }, children: { readonly [K in keyof S]?: Described } = {}): Described {
  return { section, docs, children: children as Record<string, Described> };
}

const NAT_DOCS = described(NAT, {
  inside: 'The hosts whose traffic this host masquerades: source address and port rewritten, conntrack kept.',
});

const WHAT_IF_DOCS = described(WHAT_IF, {
  timewait_len: 'Simulator only, not Linux: the TIME_WAIT length instead of the kernel\'s (60 s on Linux, 240 s on rfc9293); 0s skips TIME_WAIT. lab refuses it.',
});

const HOST_DOCS = described(
  HOST,
  {
    address: 'The host\'s IPv4 address.',
    sysctl: 'Kernel settings by their full sysctl(8) names, with values the chosen kernel accepts (as sysctl -w takes them).',
    nat: 'Makes this host a masquerading NAT for the hosts listed under inside.',
    what_if: 'Simulator-only knobs that no real kernel has; runs using them say so.',
  },
  { nat: NAT_DOCS, what_if: WHAT_IF_DOCS },
);

const LINK_DOCS = described(LINK, {
  between: 'The two hosts this link joins. Hosts without a link between them use a 50us one.',
  delay: 'One-way delay.',
  jitter: 'Random extra delay per segment, up to this much.',
  loss: 'Probability that a segment is lost, each direction.',
  duplicate: 'Probability that a segment is delivered twice.',
  reorder: 'Probability that a segment is delayed behind the next one.',
});

const FAULT_DOCS = described(FAULT, {
  from: 'The host that sends the segments to act on.',
  to: 'Only segments to this host.',
  flags: 'Only segments with exactly these TCP flags (S A F R P), e.g. "A" for a bare ACK.',
  payload: 'Only segments with (true) or without (false) data.',
  sender_state: 'Only segments sent by a socket in this state, e.g. TIME_WAIT.',
  nth: 'Act on the nth matching segment only (1-based).',
  count: 'Act on at most this many matching segments.',
  action: 'drop, { delay: DURATION } or { duplicate_after: DURATION }.',
});

const FAULT_ACTION_DOCS: Readonly<Record<string, string>> = {
  delay: 'Deliver the segment this much later.',
  duplicate_after: 'Deliver the segment, and a copy of it this much later.',
};

const SERVER_DOCS = described(SERVER, {
  host: 'The host the server listens on.',
  port: 'The port it listens on.',
  close: 'Who closes: first (right after the response), after-peer (read until EOF, then close) or never (the CLOSE_WAIT leak).',
  linger: 'SO_LINGER: off, 0 (close() sends an RST: no TIME_WAIT, unsent data lost) or a timeout.',
  response_bytes: 'Bytes sent in response to each request.',
  backlog: 'listen() backlog (capped by net.core.somaxconn).',
});

const CLIENT_DOCS = described(CLIENT, {
  host: 'The host the connections start from.',
  target: 'Where to connect: address:port, or host-name:port.',
  count: 'Connections in total.',
  rate: 'New connections per second (open loop), or serial: each connect() when the previous close() returned.',
  start: 'When this workload starts.',
  close: 'Who closes: first (after the exchange) or after-peer (read until EOF, then close).',
  hold: 'Time between connect() returning and the exchange.',
  request_bytes: 'Bytes sent on each connection.',
  linger: 'SO_LINGER on the client socket: off, 0 or a timeout.',
  bind: 'bind() before connect(): none, or "address:port" (port 0 = any).',
  reuseaddr: 'SO_REUSEADDR on the client socket.',
  record_ports: 'List every local port used, in order, in the result.',
  reuseport: 'SO_REUSEPORT on the client socket (twlab extension).',
  bind_address_no_port: 'IP_BIND_ADDRESS_NO_PORT: with bind port 0, connect() picks the port per destination (twlab extension).',
});

const PROXY_DOCS = described(PROXY, {
  host: 'The host the proxy runs on.',
  port: 'The port it listens on.',
  upstreams: 'Where it forwards requests, round robin: one upstream connection per request.',
  upstream_close: 'Who closes the upstream connection: first (the proxy) or after-peer (the upstream).',
  keepalive: 'Idle upstream connections kept per upstream (a pool); 0 = none.',
});

const SCENARIO_DOCS = described(
  SCENARIO,
  {
    name: 'The scenario\'s name.',
    description: 'What the scenario shows, in words.',
    kernel: 'Behaviour profile: linux-6.18 (what the 6.18 source does), linux-4.4 (tcp_tw_recycle, pre-4.6 port search) or rfc9293 (plain RFC: TIME-WAIT 240 s).',
    seed: 'Every random choice derives from it: the same file and seed give the same result.',
    duration: 'Simulated time; the run stops there.',
    hosts: 'The hosts, by name.',
    links: 'Links between hosts (delay, jitter, loss, duplicate, reorder).',
    faults: 'Deterministic faults on chosen segments.',
    servers: 'Applications that listen and answer.',
    clients: 'Connection workloads.',
    proxies: 'L7-style proxies: one upstream connection per request.',
    snapshots: 'Record every host\'s socket states at these times.',
    series: 'Sample interval of the time series.',
  },
  { hosts: HOST_DOCS, links: LINK_DOCS, faults: FAULT_DOCS, servers: SERVER_DOCS, clients: CLIENT_DOCS, proxies: PROXY_DOCS },
);

/** The whole schema, as `twlab schema` prints it. */
export function scenarioJsonSchema(): JsonSchema {
  // A deep copy: the tables share value schemas between keys, and descriptions differ.
  const root = JSON.parse(JSON.stringify(sectionJson(SCENARIO))) as Record<string, unknown>;
  describe(root, SCENARIO_DOCS);
  const hostProps = mappingAt(at(root, 'properties', 'hosts'))?.['properties'] as Record<string, Record<string, unknown>> | undefined;
  if (hostProps?.['sysctl']) Object.assign(hostProps['sysctl'], sysctlJson());
  // The mapping form of a fault's action ({ delay } | { duplicate_after }) is a section
  // private to schema.ts: described here by its keys.
  const action = at(mappingAt(at(root, 'properties', 'faults')) ?? {}, 'properties', 'action', 'oneOf') as unknown[] | undefined;
  const actionProps = mappingAt(action?.find((choice) => mappingAt(choice)))?.['properties'] as Record<string, Record<string, unknown>> | undefined;
  for (const [key, text] of Object.entries(FAULT_ACTION_DOCS)) if (actionProps?.[key]) actionProps[key]['description'] = text;
  return {
    $schema: SCHEMA_DRAFT,
    title: 'twlab scenario (format v1)',
    description: `A scenario for twlab simulate and twlab lab. Generated by twlab from its loader's tables (${REGENERATE}); twlab itself checks more than this schema can (host references, times within the run, sysctls per kernel).`,
    ...root,
  };
}

/** The schema as the committed file holds it: two-space indent, a final newline. */
export function scenarioJsonSchemaText(): string {
  return JSON.stringify(scenarioJsonSchema(), null, 2) + '\n';
}

/** Adds descriptions to the properties of a section's schema, and to its nested sections. */
function describe(json: Record<string, unknown>, node: Described): void {
  const properties = json['properties'] as Record<string, Record<string, unknown>>;
  for (const [key, field] of Object.entries(node.section)) {
    const property = properties[key];
    if (property === undefined) continue;
    const child = node.children[key];
    const text = node.docs[key] ?? '';
    property['description'] = child ? text : `${text} Allowed: ${field.kind.allowed}.`;
    const mapping = child ? mappingAt(property) : undefined;
    if (child && mapping) describe(mapping, child);
  }
}

/** The mapping schema of a key: itself, its list items, or the values of a named mapping. */
function mappingAt(json: unknown): Record<string, unknown> | undefined {
  const o = json as Record<string, unknown> | undefined;
  for (const candidate of [o, o?.['items'], o?.['additionalProperties']]) {
    if (candidate && typeof candidate === 'object' && 'properties' in candidate) return candidate as Record<string, unknown>;
  }
  return undefined;
}

function at(json: Record<string, unknown>, ...path: string[]): unknown {
  let node: unknown = json;
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

/**
 * `sysctl:` with the names twlab models, each with what its kernels accept: editors complete
 * the names, and a typo is marked. Which names a kernel has is checked by twlab itself.
 */
function sysctlJson(): JsonSchema {
  const names = [...new Set(KERNEL_PROFILES.flatMap((p) => sysctlNames(p)))].sort();
  const properties: Record<string, JsonSchema> = {};
  for (const name of names) {
    // Profiles that accept the same values are named together: "linux-6.18, rfc9293: ...".
    const byText = new Map<string, KernelProfileName[]>();
    for (const p of KERNEL_PROFILES) {
      const text = sysctlAllowed(p, name);
      byText.set(text, [...(byText.get(text) ?? []), p]);
    }
    const description =
      byText.size === 1 ? `Allowed: ${[...byText.keys()][0]}.` : [...byText].map(([text, profiles]) => `${profiles.join(', ')}: ${text}.`).join(' ');
    properties[name] = { type: ['integer', 'string'], description };
  }
  return { properties, additionalProperties: false };
}

/** What the profile's kernel accepts for the sysctl, from sysctl.ts's own messages. */
function sysctlAllowed(profile: KernelProfileName, name: string): string {
  const exists = sysctlNames(profile).includes(name);
  try {
    applySysctl(profile, defaultSysctls(profile), name, null);
  } catch (e) {
    // "does not exist on linux-6.18 (removed in 4.12)" -> "does not exist (removed in 4.12)".
    if (e instanceof SysctlError) return exists ? e.allowed : e.problem.replace(` on ${profile}`, '');
    throw e;
  }
  throw new Error(`unreachable: ${name} accepted null`);
}
