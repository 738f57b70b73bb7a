// The keys of scenario format v1 (../shared/spec/scenario-v1.md), one table per section:
// which keys exist, which are required, their defaults, and how each value is read.
// `Kind.allowed` is the text after "allowed:" in messages; `Kind.json` is the value's
// JSON Schema, so a schema for editors can be generated from these tables.
// Checks that span keys (references, duplicates, times within the run) are in load.ts.

import { isScalar } from 'yaml';
import { KERNEL_PROFILES, type KernelProfileName } from '../tcp/sysctl.js';
import { TCP_STATES } from '../tcp/state.js';
import { optional, required, sectionJson, withDefault, type JsonSchema, type Kind, type MapView, type Reader, type Section, type Value } from './reader.js';
import type { CloseMode, Endpoint, FaultAction, Linger, Micros } from './types.js';
import {
  closest,
  DURATION_ALLOWED,
  ENDPOINT_ALLOWED,
  FLAGS_ALLOWED,
  formatDuration,
  FRACTION_ALLOWED,
  IPV4_ALLOWED,
  LIMITS,
  NAME_ALLOWED,
  parseDuration,
  parseEndpoint,
  parseFlags,
  parseFraction,
  parseHostAddress,
  parseInteger,
  parseIPv4,
  parseName,
  parseRate,
  RATE_ALLOWED,
  SEC,
  show,
  type Parsed,
} from './units.js';

/** A kind whose value is one scalar, read by a pure parser from units.ts. */
function scalarKind<T>(allowed: string, json: JsonSchema, parse: (raw: unknown) => Parsed<T>): Kind<T> {
  return {
    allowed,
    json,
    read(r: Reader, node: Value, key: string) {
      const parsed = parse(r.scalar(node, key, allowed));
      if (!parsed.ok) r.fail(node, key, parsed.problem, parsed.allowed);
      return parsed.value;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Value kinds

// JSON Schema patterns of the values units.ts parses: what a pattern can say of the text
// (units, signs, ranges of ports, percentages and rates). What it cannot (the 24-hour limit,
// 1us resolution, which hosts exist) the loader still checks. jsonschema.test.ts holds each
// pattern against the loader's verdict on a set of values.

/** `digits[.digits]`, and the same above zero. */
const NUMBER = String.raw`\d+(\.\d+)?`;
const POSITIVE_NUMBER = String.raw`(0*[1-9]\d*(\.\d+)?|0+\.\d*[1-9]\d*)`;
const UNIT = String.raw`\s*(us|ms|s|m)`;
/** A duration: a number and a unit; `-0s` is zero, not negative. A bare 0 needs no unit (ZERO). */
const DURATION_TEXT = String.raw`(\+?${NUMBER}|-0+(\.0+)?)${UNIT}`;
const ZERO = { const: 0 };
const DURATION_JSON = { oneOf: [{ type: 'string', pattern: `^${DURATION_TEXT}$` }, ZERO] };
const POSITIVE_DURATION_JSON = { type: 'string', pattern: String.raw`^\+?${POSITIVE_NUMBER}${UNIT}$` };
/** Port 1..65535 in text, at most five digits (leading zeros included, as the loader counts). */
const NONZERO_PORT_TEXT = String.raw`0*([1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])`;
const PORT_TEXT = String.raw`(?=\d{1,5}$)${NONZERO_PORT_TEXT}`;
const OCTET = String.raw`(25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)`;
/** A unicast host address (parseHostAddress): the first octet is not 0, 127, or 224 and above. */
const HOST_ADDRESS_TEXT = String.raw`(22[0-3]|2[01]\d|1[3-9]\d|12[0-689]|1[01]\d|[1-9]\d?)(\.${OCTET}){3}`;
/** A host name in an endpoint: a name that is not all digits (those read as an address). */
const ENDPOINT_NAME_TEXT = '[a-z0-9-]*[a-z-][a-z0-9-]*';

export const text = scalarKind('a string', { type: 'string' }, (raw) =>
  typeof raw === 'string' ? { ok: true, value: raw } : { ok: false, problem: `${show(raw)} is not a string`, allowed: 'a string' },
);

export const name = scalarKind(NAME_ALLOWED, { type: 'string', pattern: '^[a-z0-9-]+$', maxLength: LIMITS.maxNameLength }, parseName);

export const duration = scalarKind(DURATION_ALLOWED, DURATION_JSON, parseDuration);

/** A duration that must be more than zero (the run, the sample interval). */
const POSITIVE_DURATION_ALLOWED = DURATION_ALLOWED.replace('a number', 'a number above 0');
export const positiveDuration = scalarKind(POSITIVE_DURATION_ALLOWED, POSITIVE_DURATION_JSON, (raw) => {
  const parsed = parseDuration(raw);
  if (!parsed.ok) return { ...parsed, allowed: POSITIVE_DURATION_ALLOWED };
  if (parsed.value === 0) return { ok: false, problem: `${show(raw)} is zero`, allowed: POSITIVE_DURATION_ALLOWED };
  return parsed;
});

/** A percentage from 0% to 100%. */
const PERCENT_TEXT = String.raw`(\+?0*(100(\.0+)?|\d{1,2}(\.\d+)?)|-0+(\.0+)?)\s*%`;
export const fraction = scalarKind(FRACTION_ALLOWED, { type: ['number', 'string'], minimum: 0, maximum: 1, pattern: `^${PERCENT_TEXT}$` }, parseFraction);

export function integer(min: number, max: number): Kind<number> {
  return scalarKind(`an integer from ${min} to ${max}`, { type: 'integer', minimum: min, maximum: max }, (raw) => parseInteger(raw, min, max));
}

export const port = integer(1, 65535);
export const bytes = integer(0, LIMITS.maxBytes);
export const counter = integer(1, LIMITS.maxCount);

export const boolean = scalarKind('true or false', { type: 'boolean' }, (raw) =>
  typeof raw === 'boolean' ? { ok: true, value: raw } : { ok: false, problem: `${show(raw)} is not true or false`, allowed: 'true or false' },
);

export function oneOf<T extends string>(values: readonly T[]): Kind<T> {
  const allowed = values.join(' | ');
  return scalarKind(allowed, { enum: values }, (raw) => {
    if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return { ok: true, value: raw as T };
    const guess = typeof raw === 'string' ? closest(raw, values) : undefined;
    const hint = guess ? ` (did you mean "${guess}"?)` : '';
    return { ok: false, problem: `${show(raw)} is not one of the choices${hint}`, allowed };
  });
}

export const kernel: Kind<KernelProfileName> = oneOf(KERNEL_PROFILES);

export const hostAddress = scalarKind(IPV4_ALLOWED, { type: 'string', format: 'ipv4', pattern: `^${HOST_ADDRESS_TEXT}$` }, parseHostAddress);

/** `400/s`, or `serial`: each connect() when the previous close() returned. */
type Rate = { kind: 'open'; perSecond: number } | { kind: 'serial' };
export const rate: Kind<Rate> = scalarKind<Rate>(
  `${RATE_ALLOWED}, or serial`,
  // Above 0, at most LIMITS.maxRatePerSecond (1000000).
  { type: 'string', pattern: String.raw`^(serial|\+?(0*([1-9]\d{0,5}(\.\d+)?|1000000(\.0+)?)|0+\.\d*[1-9]\d*)\s*/\s*s)$` },
  (raw) => {
    if (raw === 'serial') return { ok: true, value: { kind: 'serial' } };
    const parsed = parseRate(raw);
    if (!parsed.ok) return { ...parsed, allowed: `${parsed.allowed}, or serial` };
    return { ok: true, value: { kind: 'open', perSecond: parsed.value } };
  },
);

/**
 * SO_LINGER: `off`, `0` (abortive close: RST, no TIME_WAIT) or a timeout. The kernel takes
 * whole seconds (struct linger.l_linger is an int of seconds), so 1.5s is refused rather than
 * rounded differently by simulate and lab.
 */
const LINGER_ALLOWED = `off, 0, or a whole number of seconds such as 5s, at most ${LIMITS.maxDurationText}`;
export const linger: Kind<Linger> = scalarKind<Linger>(
  LINGER_ALLOWED,
  // Whole seconds in s, ms or us, zero in any unit; minutes with a fraction are left to the loader.
  {
    oneOf: [
      {
        type: 'string',
        pattern: String.raw`^(off|[+-]?0+(\.0+)?${UNIT}|\+?(\d+(\.0+)?\s*s|${NUMBER}\s*m|\d+000(\.0+)?\s*ms|\d+000000(\.0+)?\s*us))$`,
      },
      ZERO,
    ],
  },
  (raw) => {
    // `false` is what `off` reads as under a %YAML 1.1 directive.
    if (raw === 'off' || raw === false) return { ok: true, value: { on: false } };
    const parsed = parseDuration(raw);
    if (!parsed.ok) return { ...parsed, allowed: LINGER_ALLOWED };
    if (parsed.value % SEC !== 0) return { ok: false, problem: `${show(raw)} is not a whole number of seconds`, allowed: LINGER_ALLOWED };
    return { ok: true, value: { on: true, timeout: parsed.value } };
  },
);

/** A host name defined under `hosts:`. */
export const hostRef: Kind<string> = {
  allowed: 'the name of a host under hosts:',
  json: name.json,
  read(r: Reader, node: Value, key: string) {
    const raw = r.scalar(node, key, this.allowed);
    const allowed = `one of the hosts: ${[...r.hosts.keys()].join(', ')}`;
    if (typeof raw === 'string' && r.hosts.has(raw)) return raw;
    const guess = typeof raw === 'string' ? closest(raw, r.hosts.keys()) : undefined;
    r.fail(node, key, `${show(raw)} is not a host${guess ? ` (did you mean "${guess}"?)` : ''}`, allowed);
  },
};

/** `address:port` (need not be a host) or `host-name:port` (must be one). */
export const endpoint: Kind<Endpoint> = {
  allowed: ENDPOINT_ALLOWED,
  json: { type: 'string', pattern: `^(${HOST_ADDRESS_TEXT}|${ENDPOINT_NAME_TEXT}):${PORT_TEXT}$` },
  read(r: Reader, node: Value, key: string) {
    const raw = r.scalar(node, key, this.allowed);
    const parsed = parseEndpoint(raw);
    if (!parsed.ok) r.fail(node, key, parsed.problem, parsed.allowed);
    const { host, port } = parsed.value;
    const text = raw as string;
    if (host.kind === 'address') return { address: host.address, port, text };
    const address = r.hosts.get(host.name);
    if (address === undefined) {
      const guess = closest(host.name, r.hosts.keys());
      const hint = guess ? ` (did you mean "${guess}"?)` : '';
      r.fail(node, key, `${show(raw)} names "${host.name}", which is not a host${hint}`, `an IPv4 address or one of the hosts (${[...r.hosts.keys()].join(', ')}), then :port`);
    }
    return { address, port, host: host.name, text };
  },
};

/** bind(): `none`, or `"address:port"` with 0.0.0.0 for any address and port 0 for any port. */
const BIND_ALLOWED = 'none, or "address:port" with the client host\'s address or 0.0.0.0, and port 0..65535 (0 = any)';
export const bind = scalarKind<{ address: string; port: number } | null>(
  BIND_ALLOWED,
  { type: 'string', pattern: String.raw`^(none|(${HOST_ADDRESS_TEXT}|0\.0\.0\.0):(?=\d{1,5}$)(${NONZERO_PORT_TEXT}|0+))$` },
  (raw) => {
    if (raw === 'none') return { ok: true, value: null };
    const fail = (problem: string): Parsed<never> => ({ ok: false, problem, allowed: BIND_ALLOWED });
    if (typeof raw !== 'string') return fail(`${show(raw)} is not none or address:port`);
    const colon = raw.lastIndexOf(':');
    if (colon < 0) return fail(`${show(raw)} has no ":port"`);
    const addressText = raw.slice(0, colon);
    const address = addressText === '0.0.0.0' ? parseIPv4(addressText) : parseHostAddress(addressText);
    if (!address.ok) return fail(`${show(raw)}: ${address.problem}`);
    const portText = raw.slice(colon + 1);
    const portParsed = /^\d{1,5}$/.test(portText) ? parseInteger(Number(portText), 0, 65535) : undefined;
    if (!portParsed?.ok) return fail(`${show(raw)} has no valid port`);
    return { ok: true, value: { address: address.value, port: portParsed.value } };
  },
);

export const flags = scalarKind(FLAGS_ALLOWED, { type: 'string', pattern: String.raw`^(?!.*(.).*\1)[SAFRP]{1,5}$` }, parseFlags);

export const socketState = oneOf(TCP_STATES);

const FAULT_ACTION = {
  delay: optional(duration),
  duplicate_after: optional(duration),
};
const ACTION_ALLOWED = 'drop, { delay: DURATION } or { duplicate_after: DURATION }';

/** `drop` | `{ delay: 30s }` | `{ duplicate_after: 30s }`. */
export const faultAction: Kind<FaultAction> = {
  allowed: ACTION_ALLOWED,
  json: { oneOf: [{ const: 'drop' }, { ...sectionJson(FAULT_ACTION), minProperties: 1, maxProperties: 1 }] },
  read(r: Reader, node: Value, key: string) {
    if (isScalar(node)) {
      if (node.value === 'drop') return { kind: 'drop' };
      r.fail(node, key, `${show(node.value)} is not an action`, ACTION_ALLOWED);
    }
    const action = r.view(node, key, FAULT_ACTION, ACTION_ALLOWED);
    const delay = action.get('delay');
    const duplicateAfter = action.get('duplicate_after');
    if (delay !== undefined && duplicateAfter === undefined) return { kind: 'delay', by: delay };
    if (duplicateAfter !== undefined && delay === undefined) return { kind: 'duplicate_after', after: duplicateAfter };
    r.fail(node, key, delay === undefined ? 'names no action' : 'names two actions', `exactly one of: ${ACTION_ALLOWED}`);
  },
};

/** A value together with where it was written, for checks that look at several values. */
export interface Located<T> {
  value: T;
  node: Value;
  key: string;
}

export function located<T>(kind: Kind<T>): Kind<Located<T>> {
  return { allowed: kind.allowed, json: kind.json, read: (r: Reader, node: Value, key: string) => ({ value: kind.read(r, node, key), node, key }) };
}

export function listOf<T>(item: Kind<T>, { min = 0, max = Infinity }: { min?: number; max?: number } = {}): Kind<T[]> {
  const count = max === min ? `exactly ${min}` : max === Infinity ? (min > 0 ? `at least ${min}` : 'any number of') : `${min} to ${max}`;
  const allowed = `a list of ${count}: ${item.allowed}`;
  const bounds = { minItems: min, ...(max === Infinity ? {} : { maxItems: max }) };
  return {
    allowed,
    json: { type: 'array', items: item.json, ...bounds },
    read(r: Reader, node: Value, key: string) {
      // An empty `faults:` (every entry commented out) is an empty list.
      if (min === 0 && isScalar(node) && node.value === null) return [];
      const items = r.list(node, key, allowed);
      if (items.length < min || items.length > max) r.fail(node, key, `has ${items.length} item${items.length === 1 ? '' : 's'}`, allowed);
      return items.map((i) => item.read(r, i.node, i.key));
    },
  };
}

/** A mapping with a fixed set of keys; values are read later through the returned view. */
export function mapping<S extends Section>(section: S, allowed: string): Kind<MapView<S>> {
  return { allowed, json: sectionJson(section), read: (r: Reader, node: Value, key: string) => r.view(node, key, section, allowed) };
}

/** A mapping from names to mappings of one section (`hosts:`). */
export interface Named<S extends Section> {
  name: string;
  view: MapView<S>;
}

export function namedMappings<S extends Section>(section: S, allowed: string): Kind<Named<S>[]> {
  return {
    allowed,
    json: { type: 'object', minProperties: 1, propertyNames: name.json, additionalProperties: sectionJson(section) },
    read(r: Reader, node: Value, key: string) {
      const out: Named<S>[] = [];
      for (const [entryName, entry] of r.entries(node, key, allowed)) {
        const entryKey = `${key}.${entryName}`;
        const valid = parseName(entryName);
        if (!valid.ok) r.fail(entry.keyNode, entryKey, `host name ${valid.problem}`, valid.allowed);
        const value = r.resolve(entry.value, entryKey, entry.keyNode);
        out.push({ name: entryName, view: r.view(value, entryKey, section, `a mapping with the keys ${Object.keys(section).join(', ')}`) });
      }
      if (out.length === 0) r.fail(node, key, 'has no hosts', allowed);
      return out;
    },
  };
}

/** `sysctl:` values, kept raw: only the kernel profile knows which names and values it takes. */
export interface SysctlEntry {
  name: string;
  raw: string | number | boolean;
  node: Value;
  key: string;
}

export const sysctlEntries: Kind<SysctlEntry[]> = {
  allowed: 'a mapping of full sysctl(8) names to values, e.g. net.ipv4.tcp_tw_reuse: 1',
  json: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
  read(r: Reader, node: Value, key: string) {
    const out: SysctlEntry[] = [];
    if (isScalar(node) && node.value === null) return out;
    for (const [sysctlName, entry] of r.entries(node, key, this.allowed)) {
      const entryKey = `${key}.${sysctlName}`;
      const value = r.resolve(entry.value, entryKey, entry.keyNode);
      const raw = r.scalar(value, entryKey, 'a number or a string, as sysctl -w takes it');
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
        r.fail(value, entryKey, `${show(raw)} is not a value`, 'a number or a string, as sysctl -w takes it');
      }
      out.push({ name: sysctlName, raw, node: value, key: entryKey });
    }
    return out;
  },
};

// ---------------------------------------------------------------------------------------
// Sections

export const CLOSE_MODES: readonly CloseMode[] = ['first', 'after-peer', 'never'];

export const NAT = {
  inside: required(listOf(located(hostRef), { min: 1 })),
};

export const WHAT_IF = {
  /** TIME_WAIT length instead of the profile's (60 s on Linux); 0s skips TIME_WAIT. */
  timewait_len: optional(duration),
};

export const HOST = {
  address: required(hostAddress),
  sysctl: optional(sysctlEntries),
  nat: optional(mapping(NAT, 'a mapping { inside: [HOST, ...] }')),
  what_if: optional(mapping(WHAT_IF, `a mapping with the keys ${Object.keys(WHAT_IF).join(', ')}`)),
};

/** Hosts without a link between them use this one (scenario-v1.md). */
export const DEFAULT_LINK_DELAY: Micros = 50;

export const LINK = {
  between: required(listOf(located(hostRef), { min: 2, max: 2 })),
  delay: withDefault(duration, formatDuration(DEFAULT_LINK_DELAY)),
  jitter: withDefault(duration, '0us'),
  loss: withDefault(fraction, 0),
  duplicate: withDefault(fraction, 0),
  reorder: withDefault(fraction, 0),
};

export const FAULT = {
  from: required(hostRef),
  to: optional(hostRef),
  flags: optional(flags),
  payload: optional(boolean),
  sender_state: optional(socketState),
  nth: optional(counter),
  count: optional(counter),
  action: required(faultAction),
};

export const SERVER = {
  host: required(hostRef),
  port: required(port),
  close: withDefault(oneOf(CLOSE_MODES), 'after-peer'),
  linger: withDefault(linger, 'off'),
  response_bytes: withDefault(bytes, 0),
  backlog: withDefault(integer(0, LIMITS.maxCount), 4096),
};

export const CLIENT = {
  host: required(hostRef),
  target: required(endpoint),
  count: required(counter),
  rate: required(rate),
  start: withDefault(duration, '0s'),
  close: withDefault(oneOf(['first', 'after-peer'] as const), 'first'),
  hold: withDefault(duration, '0s'),
  request_bytes: withDefault(bytes, 0),
  linger: withDefault(linger, 'off'),
  bind: withDefault(bind, 'none'),
  reuseaddr: withDefault(boolean, false),
  record_ports: withDefault(boolean, false),
  // Extensions to v1 (optional, so every v1 file still reads the same):
  reuseport: withDefault(boolean, false),
  bind_address_no_port: withDefault(boolean, false),
};

export const PROXY = {
  host: required(hostRef),
  port: required(port),
  upstreams: required(listOf(located(endpoint), { min: 1 })),
  upstream_close: withDefault(oneOf(['first', 'after-peer'] as const), 'first'),
  keepalive: withDefault(integer(0, LIMITS.maxCount), 0),
};

const keysOf = (section: object): string => `a mapping with the keys ${Object.keys(section).join(', ')}`;

export const SCENARIO = {
  name: required(name),
  description: optional(text),
  kernel: withDefault(kernel, 'linux-6.18'),
  seed: withDefault(integer(0, LIMITS.maxSeed), 1),
  duration: required(positiveDuration),
  hosts: required(namedMappings(HOST, 'a mapping of host names to { address, sysctl, nat, what_if }, at least one')),
  links: optional(listOf(mapping(LINK, keysOf(LINK)))),
  faults: optional(listOf(mapping(FAULT, keysOf(FAULT)))),
  servers: optional(listOf(mapping(SERVER, keysOf(SERVER)))),
  clients: optional(listOf(mapping(CLIENT, keysOf(CLIENT)))),
  proxies: optional(listOf(mapping(PROXY, keysOf(PROXY)))),
  snapshots: optional(listOf(located(duration))),
  series: withDefault(positiveDuration, '1s'),
};

export const SCENARIO_ALLOWED = keysOf(SCENARIO);
