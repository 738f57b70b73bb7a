// Values as scenario files write them (scenario-v1.md): durations `50us 200ms 1.5s 2m`,
// rates `N/s`, fractions `0.05` or `"5%"`, IPv4 dotted quads, `address:port` endpoints.
// Pure functions on the raw YAML scalar; the loader adds file, line and key to a failure.

import type { Micros } from './types.js';

/** A parsed value, or what is wrong with the raw one and what would be accepted. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string; allowed: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(problem: string, allowed: string): Parsed<T> => ({ ok: false, problem, allowed });

export const US = 1;
export const MS = 1_000;
export const SEC = 1_000_000;
export const MINUTE = 60 * SEC;

/**
 * Sanity limits. They keep a typo (an extra zero, ms for us) from turning into a run that
 * never ends or a result nobody can read; none of them is a kernel limit.
 */
export const LIMITS = {
  /** Any duration: simulated time, delays, holds, timeouts. */
  maxDuration: 24 * 60 * MINUTE,
  maxDurationText: '1440m (24 hours)',
  /** Connections, fault matches, backlog, pool sizes. */
  maxCount: 10_000_000,
  /** Connections per second of one client. */
  maxRatePerSecond: 1_000_000,
  /** Request and response sizes. */
  maxBytes: 1024 * 1024 * 1024,
  /** Seeds are 32-bit unsigned integers. */
  maxSeed: 0xffff_ffff,
  /** Time-series samples of one run (duration / series). */
  maxSamples: 1_000_000,
  /** Name length (scenario and host names). */
  maxNameLength: 63,
} as const;

/** `a`, `a and b`, `a, b and c`: for messages and report sentences. */
export function andList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** A value as a message shows it: strings quoted, long ones cut, never more than one line. */
export function show(raw: unknown): string {
  if (raw === null || raw === undefined) return 'empty';
  if (typeof raw === 'string') {
    const cut = raw.length > 40 ? `${raw.slice(0, 40)}...` : raw;
    return JSON.stringify(cut);
  }
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return String(raw);
  if (Array.isArray(raw)) return 'a list';
  return 'a mapping';
}

// ---------------------------------------------------------------------------------------
// Durations

const DURATION_UNITS: Readonly<Record<string, number>> = { us: US, ms: MS, s: SEC, m: MINUTE };
export const DURATION_ALLOWED = `a number with a unit us, ms, s or m (e.g. 50us, 200ms, 1.5s, 2m), at most ${LIMITS.maxDurationText}`;

/**
 * `50us`, `200ms`, `1.5s`, `2m` -> integer microseconds, exactly (no float rounding:
 * `0.1s` is 100000). A bare `0` is accepted: zero needs no unit.
 */
export function parseDuration(raw: unknown): Parsed<Micros> {
  if (raw === 0) return ok(0);
  if (typeof raw === 'number') return bad(`${show(raw)} has no unit`, DURATION_ALLOWED);
  if (typeof raw !== 'string') return bad(`${show(raw)} is not a duration`, DURATION_ALLOWED);
  const m = /^([+-]?)(\d*(?:\.\d*)?)\s*([^\d\s.+-]*)$/.exec(raw);
  if (!m || !/^\d+(\.\d+)?$/.test(m[2] ?? '')) return bad(`${show(raw)} is not a duration`, DURATION_ALLOWED);
  const [, sign, number = '', unit = ''] = m;
  if (sign === '-' && !/^0*(\.0*)?$/.test(number)) return bad(`${show(raw)} is negative`, DURATION_ALLOWED);
  if (unit === '') return bad(`${show(raw)} has no unit`, DURATION_ALLOWED);
  const scale = DURATION_UNITS[unit];
  if (scale === undefined) return bad(`${show(raw)} has an unknown unit "${unit}"`, DURATION_ALLOWED);
  const micros = exactScaled(number, scale);
  if (micros === undefined) return bad(`${show(raw)} is finer than 1us`, DURATION_ALLOWED);
  if (micros > BigInt(LIMITS.maxDuration)) return bad(`${show(raw)} is longer than the limit`, DURATION_ALLOWED);
  return ok(Number(micros));
}

/** `digits[.digits]` times an integer scale, or undefined when the product is not an integer. */
function exactScaled(decimal: string, scale: number): bigint | undefined {
  const [whole = '0', frac = ''] = decimal.split('.');
  const denominator = 10n ** BigInt(frac.length);
  const numerator = BigInt(whole + frac) * BigInt(scale);
  if (numerator % denominator !== 0n) return undefined;
  return numerator / denominator;
}

/** Microseconds as a file would write them, for messages: 1500000 -> "1.5s". */
export function formatDuration(us: Micros): string {
  if (us === 0) return '0s';
  if (us % MINUTE === 0) return `${us / MINUTE}m`;
  if (us >= SEC) return `${us / SEC}s`;
  if (us >= MS) return `${us / MS}ms`;
  return `${us}us`;
}

// ---------------------------------------------------------------------------------------
// Rates, fractions, integers

export const RATE_ALLOWED = `N/s with 0 < N <= ${LIMITS.maxRatePerSecond} (e.g. 400/s, 0.5/s)`;

/** `400/s` -> 400 (connections per second); fractions like `0.5/s` are fine. */
export function parseRate(raw: unknown): Parsed<number> {
  if (typeof raw === 'number') return bad(`${show(raw)} has no "/s"`, RATE_ALLOWED);
  if (typeof raw !== 'string') return bad(`${show(raw)} is not a rate`, RATE_ALLOWED);
  const m = /^([+-]?)(\d+(?:\.\d+)?)(?:\s*\/\s*(\w*))?$/.exec(raw);
  if (!m) return bad(`${show(raw)} is not a rate`, RATE_ALLOWED);
  const [, sign, number = '', per] = m;
  if (per === undefined) return bad(`${show(raw)} has no "/s"`, RATE_ALLOWED);
  if (per !== 's') return bad(`${show(raw)} is not per second`, RATE_ALLOWED);
  const n = Number(number);
  if (sign === '-' && n !== 0) return bad(`${show(raw)} is negative`, RATE_ALLOWED);
  if (n === 0) return bad(`${show(raw)} is zero`, RATE_ALLOWED);
  if (n > LIMITS.maxRatePerSecond) return bad(`${show(raw)} is above the limit`, RATE_ALLOWED);
  return ok(n);
}

export const FRACTION_ALLOWED = 'a number from 0 to 1, or a percent string from "0%" to "100%" (e.g. 0.005 or "0.5%")';

/** 0..1 as a number, or a percent string `"0.5%"` -> 0.005. */
export function parseFraction(raw: unknown): Parsed<number> {
  let value: number;
  if (typeof raw === 'number') {
    value = raw;
  } else if (typeof raw === 'string') {
    const m = /^([+-]?\d+(?:\.\d+)?)\s*%$/.exec(raw);
    if (!m) return bad(`${show(raw)} is not a number or a percentage`, FRACTION_ALLOWED);
    value = Number(m[1]) / 100;
  } else {
    return bad(`${show(raw)} is not a number or a percentage`, FRACTION_ALLOWED);
  }
  if (!Number.isFinite(value)) return bad(`${show(raw)} is not a finite number`, FRACTION_ALLOWED);
  if (value < 0) return bad(`${show(raw)} is negative`, FRACTION_ALLOWED);
  if (value > 1) return bad(`${show(raw)} is more than ${typeof raw === 'string' ? '100%' : '1'}`, FRACTION_ALLOWED);
  return ok(value);
}

/** An integer in min..max (YAML `1e3` is 1000 and fine; `1.5`, `"12"` are not). */
export function parseInteger(raw: unknown, min: number, max: number): Parsed<number> {
  const allowed = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  if (typeof raw !== 'number') return bad(`${show(raw)} is not a number`, allowed);
  if (!Number.isInteger(raw)) return bad(`${show(raw)} is not an integer`, allowed);
  if (raw < min) return bad(`${show(raw)} is ${raw < 0 && min >= 0 ? 'negative' : 'too small'}`, allowed);
  if (raw > max) return bad(`${show(raw)} is above the limit`, allowed);
  return ok(raw);
}

export function parsePort(raw: unknown, { allowZero = false } = {}): Parsed<number> {
  return parseInteger(raw, allowZero ? 0 : 1, 65535);
}

// ---------------------------------------------------------------------------------------
// Names, addresses, endpoints

export const NAME_ALLOWED = `lower-case letters, digits and "-" ([a-z0-9-]+), at most ${LIMITS.maxNameLength} characters`;

/** Scenario and host names: `[a-z0-9-]+`. */
export function parseName(raw: unknown): Parsed<string> {
  if (typeof raw !== 'string') return bad(`${show(raw)} is not a name`, NAME_ALLOWED);
  if (raw === '') return bad('the name is empty', NAME_ALLOWED);
  if (!/^[a-z0-9-]+$/.test(raw)) return bad(`${show(raw)} has characters outside [a-z0-9-]`, NAME_ALLOWED);
  if (raw.length > LIMITS.maxNameLength) return bad(`${show(raw)} is longer than ${LIMITS.maxNameLength} characters`, NAME_ALLOWED);
  return ok(raw);
}

export const IPV4_ALLOWED = 'a dotted-quad IPv4 unicast address such as 198.18.0.1 (not 0.x, 127.x, multicast or above)';

/** A dotted quad, each part 0..255 in plain decimal (no leading zeros: `010` reads as octal elsewhere). */
export function parseIPv4(raw: unknown): Parsed<string> {
  if (typeof raw !== 'string') return bad(`${show(raw)} is not an IPv4 address`, IPV4_ALLOWED);
  const parts = raw.split('.');
  const valid = parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
  if (!valid) return bad(`${show(raw)} is not an IPv4 address`, IPV4_ALLOWED);
  return ok(raw);
}

/**
 * An address a host can have and a client can connect to: unicast, routable between the
 * lab's namespaces. Refused: 0.0.0.0/8 ("this network"), 127.0.0.0/8 (every namespace has
 * its own loopback), 224.0.0.0/4 multicast and 240.0.0.0/4 reserved (incl. broadcast).
 */
export function parseHostAddress(raw: unknown): Parsed<string> {
  const parsed = parseIPv4(raw);
  if (!parsed.ok) return parsed;
  const first = Number(parsed.value.split('.')[0]);
  if (first === 0 || first === 127 || first >= 224) return bad(`${show(raw)} is not a unicast host address`, IPV4_ALLOWED);
  return parsed;
}

/** The part before the colon of `host:port`: an address, or a host name still to resolve. */
export type EndpointHost = { kind: 'address'; address: string } | { kind: 'name'; name: string };

export const ENDPOINT_ALLOWED = 'address:port or host-name:port with port 1..65535 (e.g. 198.18.0.2:8081, server:8081)';

/** `198.18.0.2:8081` or `server:8081`. With allowZero (bind), port 0 means "any port". */
export function parseEndpoint(
  raw: unknown,
  { allowZero = false }: { allowZero?: boolean } = {},
): Parsed<{ host: EndpointHost; port: number }> {
  const allowed = allowZero ? ENDPOINT_ALLOWED.replace('port 1..65535', 'port 0..65535 (0 = any)') : ENDPOINT_ALLOWED;
  if (typeof raw !== 'string') return bad(`${show(raw)} is not address:port`, allowed);
  const colon = raw.lastIndexOf(':');
  if (colon < 0) return bad(`${show(raw)} has no ":port"`, allowed);
  const hostText = raw.slice(0, colon);
  const portText = raw.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return bad(`${show(raw)} has no valid port`, allowed);
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !allowZero)) return bad(`${show(raw)} has port ${port}, out of range`, allowed);
  if (/^[\d.]+$/.test(hostText)) {
    const address = parseHostAddress(hostText);
    if (!address.ok) return bad(`${show(raw)}: ${address.problem}`, allowed);
    return ok({ host: { kind: 'address', address: address.value }, port });
  }
  const name = parseName(hostText);
  if (!name.ok) return bad(`${show(raw)} names neither an address nor a host`, allowed);
  return ok({ host: { kind: 'name', name: name.value }, port });
}

// ---------------------------------------------------------------------------------------
// TCP flags

/** Canonical order of fault flag letters: S A F R P (scenario-v1.md). */
export const FLAG_ORDER = 'SAFRP';
export const FLAGS_ALLOWED = 'one or more of the letters S A F R P, each once, in any order (e.g. "S", "A", "FA")';

/** `"FA"` -> `"AF"`: the exact flag set in canonical order S A F R P. */
export function parseFlags(raw: unknown): Parsed<string> {
  if (typeof raw !== 'string' || raw === '') return bad(`${show(raw)} is not a set of TCP flags`, FLAGS_ALLOWED);
  const seen = new Set<string>();
  for (const letter of raw) {
    if (!FLAG_ORDER.includes(letter)) return bad(`${show(raw)} has "${letter}", not a flag letter`, FLAGS_ALLOWED);
    if (seen.has(letter)) return bad(`${show(raw)} has "${letter}" twice`, FLAGS_ALLOWED);
    seen.add(letter);
  }
  return ok([...FLAG_ORDER].filter((l) => seen.has(l)).join(''));
}

// ---------------------------------------------------------------------------------------
// Suggestions

/** The candidate closest to a misspelt name, if it is close enough to be a typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const tolerance = Math.max(1, Math.floor(word.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

/** Levenshtein distance (insert, delete, substitute), with adjacent swaps counting one. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}
