// Changes to a loaded scenario from the command line: `--seed`, `--duration` and
// `--set KEY=VALUE` on `twlab simulate`, `--vary KEY=V1,V2` on `twlab sweep`. One grammar
// for all of them:
//
//   seed                          --set seed=2
//   duration                      --set duration=30s
//   HOST.sysctl.NAME              --set client.sysctl.net.ipv4.tcp_tw_reuse=1
//   HOST.what_if.timewait_len     --set lb.what_if.timewait_len=0s
//   clients[N].KEY                --set clients[0].rate=500/s    (and servers[N], proxies[N])
//
// Values are checked exactly as the loader checks a file: the same value kinds from the
// schema tables (a value reads as the YAML scalar it would be in a file), applySysctl for
// the scenario's kernel (a sysctl value is text, as sysctl -w takes it), and the loader's
// checks of keys that depend on the run length. A failure is one OverrideError line.

import { Document, LineCounter, parse as parseYaml, Scalar } from 'yaml';
import { applySysctl, SysctlError } from '../tcp/sysctl.js';
import { ScenarioError } from './errors.js';
import { CLIENT_SETTING_KEYS, PROXY_SETTING_KEYS, SERVER_SETTING_KEYS, SETTING_KEYS_ALLOWED } from './facts.js';
import { seriesProblem, snapshotProblem, startProblem } from './load.js';
import { Reader, type Field } from './reader.js';
import { CLIENT, PROXY, SCENARIO, SERVER, WHAT_IF } from './schema.js';
import type { ClientSpec, HostSpec, ProxySpec, Scenario, ServerSpec } from './types.js';
import { andList, closest, formatDuration, show } from './units.js';

/** A change the scenario cannot take: `LABEL: problem; allowed: WHAT`, one line. */
export class OverrideError extends Error {
  override readonly name = 'OverrideError';

  constructor(
    /** How the user wrote the change, e.g. `--set client.sysctl.net.ipv4.tcp_tw_reuse=5`. */
    readonly label: string,
    readonly problem: string,
    readonly allowed: string,
  ) {
    super(`${label}: ${problem}; allowed: ${allowed}`.replace(/\s*[\r\n]+\s*/g, ' '));
  }
}

/** One change: KEY and VALUE, and how to name it in messages. */
export interface Setting {
  key: string;
  value: string;
  /** e.g. `--set lb.what_if.timewait_len=0s`, `--seed`. */
  label: string;
}

/** The keys of clients[N], servers[N] and proxies[N] that may change: none is checked against another key. */
interface ItemKey<Spec> {
  field: Field<unknown>;
  apply(spec: Spec, value: unknown): Spec;
}

function item<Spec, K extends keyof Spec & string>(field: Field<Spec[K]>, name: K): ItemKey<Spec> {
  return { field, apply: (spec, value) => ({ ...spec, [name]: value as Spec[K] }) };
}

const CLIENT_KEYS: Record<(typeof CLIENT_SETTING_KEYS)[number], ItemKey<ClientSpec>> = {
  rate: item(CLIENT.rate, 'rate'),
  count: item(CLIENT.count, 'count'),
  close: item(CLIENT.close, 'close'),
  hold: item(CLIENT.hold, 'hold'),
  request_bytes: item(CLIENT.request_bytes, 'requestBytes'),
  linger: item(CLIENT.linger, 'linger'),
};

const SERVER_KEYS: Record<(typeof SERVER_SETTING_KEYS)[number], ItemKey<ServerSpec>> = {
  close: item(SERVER.close, 'close'),
  linger: item(SERVER.linger, 'linger'),
  response_bytes: item(SERVER.response_bytes, 'responseBytes'),
  backlog: item(SERVER.backlog, 'backlog'),
};

const PROXY_KEYS: Record<(typeof PROXY_SETTING_KEYS)[number], ItemKey<ProxySpec>> = {
  upstream_close: item(PROXY.upstream_close, 'upstreamClose'),
  keepalive: item(PROXY.keepalive, 'keepalive'),
};


/** `KEY=VALUE` as given to a flag -> a Setting labelled `FLAG KEY=VALUE`. */
export function parseSetting(flag: string, text: string): Setting {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new OverrideError(`${flag} ${text}`, eq === 0 ? 'has no KEY before "="' : 'has no "=VALUE"', `KEY=VALUE with KEY one of ${SETTING_KEYS_ALLOWED}`);
  const key = text.slice(0, eq);
  const value = text.slice(eq + 1);
  return { key, value, label: `${flag} ${key}=${value}` };
}

/**
 * The scenario with the settings applied in order. The input is not changed. What a setting
 * changed besides its own key (snapshots a shorter run drops) is said in `notes`, one line each.
 */
export function applySettings(scenario: Scenario, settings: readonly Setting[], notes: string[] = []): Scenario {
  return settings.reduce((s, setting) => applySetting(s, setting, notes), scenario);
}

export function applySetting(scenario: Scenario, setting: Setting, notes: string[] = []): Scenario {
  const { key, label } = setting;
  if (key === 'seed') return { ...scenario, seed: readSeed(setting) };
  if (key === 'duration') return withDuration(scenario, readValue(SCENARIO.duration, setting) as number, label, notes);

  const listItem = /^(clients|servers|proxies)\[(\d+)\]\.(.+)$/.exec(key);
  if (listItem) return setListItem(scenario, setting, listItem[1] as 'clients' | 'servers' | 'proxies', Number(listItem[2]), listItem[3] as string);

  const dot = key.indexOf('.');
  const hostName = dot < 0 ? key : key.slice(0, dot);
  const rest = dot < 0 ? '' : key.slice(dot + 1);
  if (dot < 0 || !(rest.startsWith('sysctl.') || rest === 'what_if.timewait_len')) {
    if (['clients', 'servers', 'proxies'].includes(hostName)) fail(label, `"${key}" has no index`, `${hostName}[N].KEY, N counting from 0`);
    const guess = closest(key, ['seed', 'duration']);
    fail(label, `unknown key "${key}"${guess ? ` (did you mean ${guess}?)` : ''}`, SETTING_KEYS_ALLOWED);
  }
  const index = scenario.hosts.findIndex((h) => h.name === hostName);
  const host = scenario.hosts[index];
  if (host === undefined) {
    const names = scenario.hosts.map((h) => h.name);
    const guess = closest(hostName, names);
    fail(label, `the scenario has no host "${hostName}"${guess ? ` (did you mean ${guess}?)` : ''}`, `one of the hosts: ${names.join(', ')}`);
  }
  const changed = rest === 'what_if.timewait_len' ? setTimewaitLen(host, setting) : setSysctl(host, scenario, rest.slice('sysctl.'.length), setting);
  const hosts = [...scenario.hosts];
  hosts[index] = changed;
  return { ...scenario, hosts };
}

function setSysctl(host: HostSpec, scenario: Scenario, name: string, { value, label }: Setting): HostSpec {
  try {
    const sysctl = applySysctl(scenario.kernel, host.sysctl, name, value);
    return { ...host, sysctl, sysctlSet: { ...host.sysctlSet, [name]: value } };
  } catch (e) {
    if (e instanceof SysctlError) fail(label, e.problem, e.allowed);
    throw e;
  }
}

function setTimewaitLen(host: HostSpec, setting: Setting): HostSpec {
  const timewaitLen = readValue(WHAT_IF.timewait_len, setting) as number;
  return { ...host, whatIf: { ...host.whatIf, timewaitLen } };
}

function setListItem(scenario: Scenario, setting: Setting, list: 'clients' | 'servers' | 'proxies', index: number, name: string): Scenario {
  switch (list) {
    case 'clients':
      return { ...scenario, clients: setItem(scenario.clients, CLIENT_KEYS, setting, list, index, name) };
    case 'servers':
      return { ...scenario, servers: setItem(scenario.servers, SERVER_KEYS, setting, list, index, name) };
    case 'proxies':
      return { ...scenario, proxies: setItem(scenario.proxies, PROXY_KEYS, setting, list, index, name) };
  }
}

function setItem<Spec>(specs: readonly Spec[], keys: Record<string, ItemKey<Spec>>, setting: Setting, list: string, index: number, name: string): Spec[] {
  const spec = specs[index];
  if (spec === undefined) {
    const has = specs.length === 0 ? `no ${list}` : specs.length === 1 ? `only ${list}[0]` : `only ${list}[0] to ${list}[${specs.length - 1}]`;
    fail(setting.label, `the scenario has ${has}`, specs.length === 0 ? `a key of another section: ${SETTING_KEYS_ALLOWED}` : `an index from 0 to ${specs.length - 1}`);
  }
  const key = keys[name];
  if (key === undefined) {
    const guess = closest(name, Object.keys(keys));
    fail(setting.label, `${list}[N].${name} cannot be set from the command line${guess ? ` (did you mean ${guess}?)` : ''}`, `${list}[N].KEY with KEY one of ${Object.keys(keys).join(', ')}`);
  }
  const out = [...specs];
  out[index] = key.apply(spec, readValue(key.field, setting));
  return out;
}

// ---------------------------------------------------------------------------------------
// The run's seed and length

/** `--seed N`, `seed=N`: an integer, written in decimal. */
function readSeed({ value, label }: Setting): number {
  const allowed = SCENARIO.seed.kind.allowed;
  if (!/^-?\d+$/.test(value)) fail(label, `${show(value)} is not an integer`, allowed);
  return readValue(SCENARIO.seed, { value, label }) as number;
}

/**
 * The scenario with another run length. The file's own times were checked against its own
 * duration when it was loaded; a shorter run from the command line drops the snapshots after
 * its end (said in `notes`), but refuses to cut off a workload that would not start at all.
 */
function withDuration(scenario: Scenario, duration: number, label: string, notes: string[]): Scenario {
  const cutOff = scenario.clients.map((c, i) => ({ i, start: c.start })).filter((c) => startProblem(c.start, duration) !== undefined);
  if (cutOff.length > 0) {
    const latest = Math.max(...scenario.clients.map((c) => c.start));
    const names = cutOff.map((c) => `clients[${c.i}]`);
    const starts = cutOff.map((c) => formatDuration(c.start));
    const which = cutOff.length === 1 ? `${names[0]}, which starts at ${starts[0]}` : `${andList(names)}, which start at ${andList(starts)}`;
    fail(label, `${formatDuration(duration)} cuts off ${which}`, `a duration longer than ${formatDuration(latest)}, the latest start of a client`);
  }
  const late = scenario.snapshots.filter((at) => snapshotProblem(at, duration) !== undefined);
  if (late.length > 0) {
    const times = andList(late.map(formatDuration));
    notes.push(`${label}: dropped the snapshot${late.length === 1 ? '' : 's'} at ${times}, after the end of the run (${formatDuration(duration)})`);
  }
  const tooMany = seriesProblem(scenario.series, duration);
  if (tooMany) fail(label, `series: ${tooMany.problem}`, tooMany.allowed);
  return { ...scenario, duration, snapshots: scenario.snapshots.filter((at) => !late.includes(at)) };
}

/** A setting as the user wrote it: `--seed 3`, `--set seed=5`, `--vary seed=1`. */
export function written(setting: Setting): string {
  return setting.label.includes('=') ? setting.label : `${setting.label} ${setting.value}`;
}

/**
 * A key written one way (`clients[00].rate` is `clients[0].rate`), so that two settings of
 * one key can be told apart from two keys.
 */
export function canonicalKey(key: string): string {
  return key.replace(/^(clients|servers|proxies)\[(\d+)\]/, (_, list: string, index: string) => `${list}[${Number(index)}]`);
}

/**
 * Each key at most once: `--seed 3 --set seed=5`, or one key in two --set, would leave one of
 * them silently unused. Throws OverrideError naming both.
 */
export function checkOnce(settings: readonly Setting[]): void {
  const seen = new Map<string, Setting>();
  for (const setting of settings) {
    const key = canonicalKey(setting.key);
    const first = seen.get(key);
    if (first !== undefined) fail(written(setting), `${key} is already given by ${written(first)}`, 'each key once');
    seen.set(key, setting);
  }
}

/** Seed and duration from their own flags (`--seed`, `--duration`), when given. */
export function runSettings(seed: string | undefined, duration: string | undefined): Setting[] {
  return [
    ...(seed === undefined ? [] : [{ key: 'seed', value: seed, label: '--seed' }]),
    ...(duration === undefined ? [] : [{ key: 'duration', value: duration, label: '--duration' }]),
  ];
}

// ---------------------------------------------------------------------------------------
// Values

/**
 * A value read by the field's kind from the schema tables, as the loader reads it from a
 * file: the text is taken as the YAML scalar it would be there (`500/s`, `0s`, `1000`).
 */
function readValue(field: Field<unknown>, { value, label }: Pick<Setting, 'value' | 'label'>): unknown {
  let raw: unknown;
  try {
    raw = parseYaml(value);
  } catch {
    raw = value;
  }
  if (raw !== null && typeof raw === 'object') fail(label, `${show(value)} is not a single value`, field.kind.allowed);
  const reader = new Reader(label, new LineCounter(), new Document());
  try {
    return field.kind.read(reader, new Scalar(raw), label);
  } catch (e) {
    if (e instanceof ScenarioError) fail(label, e.problem, e.allowed);
    throw e;
  }
}

function fail(label: string, problem: string, allowed: string): never {
  throw new OverrideError(label, problem, allowed);
}
