// The sysctls twlab models: one typed, validated, read-only record per host, with the
// kernel's names, defaults and accepted values for each behaviour profile.
//
// Each rule is what a write to /proc/sys accepts on that kernel: the handler of the knob's
// ctl_table entry (kernel/sysctl.c proc_dointvec, proc_dou8vec_minmax, ...) with the bounds
// in that entry (net/ipv4/sysctl_net_ipv4.c, net/core/sysctl_net_core.c). Written from the
// behaviour, not copied; the 6.18 rules were checked by writing every edge value into a
// scratch network namespace of a 6.18.44 kernel (the fixture in sysctl.test.ts), the 4.4
// rules against the v4.4.178 source.
//
// Profiles:
//  - linux-6.18: the 6.18 tables. All modelled knobs are per network namespace except
//    tcp_max_orphans, which only the initial namespace has.
//  - linux-4.4: the 4.4 tables. Most TCP knobs are plain proc_dointvec there (any C int,
//    non-zero means on) and host-wide; tcp_tw_recycle exists, tcp_tw_reuse_delay does not.
//  - rfc9293: the linux-6.18 knobs and defaults, unchanged. That profile changes timing
//    (TIME-WAIT = 2*MSL, see profile.ts), not which sysctls exist, so a scenario can switch
//    between linux-6.18 and rfc9293 without touching its sysctl: block.
//
// Values come from a scenario file: a YAML integer, or text as one would write it with
// sysctl -w. The kernel parses text with base 0 (kernel/sysctl.c proc_get_long), so "010"
// is 8 and "0x10" is 16; here only decimal text is accepted and anything else is refused
// with the value the kernel would have read, so a scenario never means something its author
// did not see. Where the kernel accepts more than that, the rule says so in a comment.

export type KernelProfileName = 'linux-6.18' | 'linux-4.4' | 'rfc9293';

export const KERNEL_PROFILES: readonly KernelProfileName[] = Object.freeze(['linux-6.18', 'linux-4.4', 'rfc9293'] as const);

/** Read-only, short kernel names (no "net.ipv4." prefix). */
export interface Sysctls {
  readonly ip_local_port_range: readonly [number, number];
  /** Inclusive ranges, sorted, merged (adjacent ranges too, as the kernel's bitmap prints them). */
  readonly ip_local_reserved_ports: readonly (readonly [number, number])[];
  /** 0 off, 1 every connect(), 2 loopback only (6.18). On linux-4.4 only 0 and 1. */
  readonly tcp_tw_reuse: 0 | 1 | 2;
  /** ms (6.14+). Not a sysctl on linux-4.4, where reuse needs more than 1 s since the last
   *  timestamp from the peer, hard-coded (tcp_ipv4.c tcp_twsk_unique); 1000 stands for it. */
  readonly tcp_tw_reuse_delay: number;
  /** 0 off, 1 on with per-connection random offsets, 2 on without offsets (6.18). */
  readonly tcp_timestamps: 0 | 1 | 2;
  readonly tcp_max_tw_buckets: number;
  /** Seconds. The kernel accepts 0 and negative values; tcp_fin_time() raises whatever it
   *  gets to at least 3.5 * RTO when it is used. */
  readonly tcp_fin_timeout: number;
  readonly tcp_rfc1337: 0 | 1;
  readonly tcp_syn_retries: number;
  readonly tcp_synack_retries: number;
  /** 0 means 8 when the peer is alive (tcp_timer.c tcp_orphan_retries). */
  readonly tcp_orphan_retries: number;
  readonly tcp_max_orphans: number;
  readonly tcp_max_syn_backlog: number;
  /** net.core.somaxconn */
  readonly somaxconn: number;
  /** Only settable on linux-4.4 (removed in 4.12); 0 elsewhere. */
  readonly tcp_tw_recycle: 0 | 1;
}

/** Per network namespace (what lab can set in its namespaces), or only in the initial one. */
export type SysctlScope = 'netns' | 'host';

/** A sysctl the profile does not have, or a value its kernel would refuse. */
export class SysctlError extends Error {
  override readonly name = 'SysctlError';

  constructor(
    /** Full sysctl(8) name as given, e.g. "net.ipv4.tcp_tw_reuse". */
    readonly sysctl: string,
    /** The value as given (YAML number or string). */
    readonly value: unknown,
    /** What would be accepted instead. */
    readonly allowed: string,
    /** What is wrong, naming the value. */
    readonly problem: string,
  ) {
    super(`${sysctl}: ${problem}; allowed: ${allowed}`);
  }
}

// ---------------------------------------------------------------------------------------
// Constants, each with its source.

/** kernel/sysctl.c do_proc_dointvec_conv: a value outside C int is refused. */
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
/** kernel/sysctl.c proc_dou8vec_minmax: 0..255 unless the table entry narrows it. */
const U8_MAX = 255;
/** include/net/tcp.h MAX_TCP_SYNCNT: sysctl_net_ipv4.c tcp_syn_retries_max (min is 1). */
const MAX_TCP_SYNCNT = 127;
/** sysctl_net_ipv4.c tcp_tw_reuse_delay_max = TCP_PAWS_MSL (60 s) in ms; min is 1. */
const TCP_TW_REUSE_DELAY_MAX_MS = 60 * 1000;
/** sysctl_net_ipv4.c ip_local_port_range_min / ip_local_port_range_max. */
const PORT_MIN = 1;
const PORT_MAX = 65535;
/** include/net/sock.h PROT_SOCK: the default of ip_unprivileged_port_start (af_inet.c
 *  inet_init_net). Since that sysctl appeared (4.11), ipv4_local_port_range refuses a range
 *  starting below it; twlab models it at its default. */
const PROT_SOCK = 1024;
/** sysctl_net_ipv4.c ip_local_reserved_ports maxlen: a bitmap of 65536 ports, 0..65535. */
const RESERVED_PORTS_BITS = 65536;
/** CONFIG_HZ of the reference 6.18 host. tcp_fin_timeout is stored in jiffies:
 *  kernel/sysctl.c do_proc_dointvec_jiffies_conv refuses |seconds| > INT_MAX / HZ.
 *  (A HZ=1000 kernel would stop at 2147483 s.) */
const CONFIG_HZ = 250;
const TCP_FIN_TIMEOUT_MAX_S = Math.floor(INT_MAX / CONFIG_HZ);

/** Established hash size of the reference host (24 GiB x86-64; /proc/sys/net/ipv4/
 *  tcp_ehash_entries). tcp.c tcp_init sizes it at one slot per 128 KiB of memory, rounded
 *  to a power of two, at most 512 Ki; three defaults below are derived from it. */
const EHASH_ENTRIES = 262144;
/** tcp_ipv4.c tcp_set_hashinfo (4.4: tcp.c tcp_init): tcp_max_tw_buckets = ehash / 2 = 131072. */
const DEFAULT_MAX_TW_BUCKETS = EHASH_ENTRIES / 2;
/** tcp.c tcp_init: tcp_max_orphans = ehash / 2 = 131072 (both kernels). */
const DEFAULT_MAX_ORPHANS = EHASH_ENTRIES / 2;
/** tcp_ipv4.c tcp_set_hashinfo: max(128, ehash / 128) = 2048. */
const DEFAULT_MAX_SYN_BACKLOG = Math.max(128, EHASH_ENTRIES / 128);
/** 4.4 tcp.c tcp_init: max(128, ehash / 256) = 1024. */
const DEFAULT_MAX_SYN_BACKLOG_4_4 = Math.max(128, EHASH_ENTRIES / 256);
/** af_inet.c inet_init_net (both kernels). */
const DEFAULT_PORT_RANGE: readonly [number, number] = Object.freeze([32768, 60999] as const);
/** include/net/tcp.h TCP_SYN_RETRIES, TCP_SYNACK_RETRIES, TCP_FIN_TIMEOUT (= TCP_TIMEWAIT_LEN). */
const TCP_SYN_RETRIES = 6;
const TCP_SYNACK_RETRIES = 5;
const TCP_FIN_TIMEOUT_S = 60;
/** include/linux/socket.h SOMAXCONN: 4096 since 5.4, 128 before. */
const SOMAXCONN = 4096;
const SOMAXCONN_4_4 = 128;
/** tcp_ipv4.c tcp_sk_init: sysctl_tcp_tw_reuse_delay = 1 s. */
const TCP_TW_REUSE_DELAY_MS = 1000;

// ---------------------------------------------------------------------------------------
// Parsing values as /proc/sys does.

type Fail = (problem: string) => never;

const DECIMAL = /^-?(0|[1-9][0-9]*)$/;
const HEX = /^-?0[xX][0-9a-fA-F]+$/;
const OCTAL = /^-?0[0-7]+$/;

/** One number of a written value (kernel/sysctl.c proc_get_long), decimal only (see top). */
function parseWord(word: string, fail: Fail): number {
  if (DECIMAL.test(word)) return Number(word) || 0; // "-0" is 0
  const sign = word.startsWith('-') ? -1 : 1;
  const digits = word.replace(/^-/, '');
  if (HEX.test(word)) {
    fail(`"${word}" is hexadecimal (the kernel would read ${sign * parseInt(digits.slice(2), 16)}); write it in decimal`);
  }
  if (OCTAL.test(word)) {
    fail(`"${word}" starts with 0, which the kernel reads as octal (${sign * parseInt(digits, 8)}); write it in decimal`);
  }
  return fail(`"${word}" is not a decimal integer`);
}

/** The words of a written value: leading white space skipped, words separated by space,
 *  tab or newline (kernel/sysctl.c proc_skip_spaces, proc_wspace_sep). */
function words(text: string): string[] {
  return text
    .replace(/^[ \t\n\v\f\r]+/, '')
    .split(/[ \t\n]+/)
    .filter((w) => w !== '');
}

/** The integers of a value: a YAML integer, or text with decimal words. */
function parseIntegers(raw: unknown, fail: Fail): { values: number[]; negativeText: boolean } {
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) fail(`${raw} is not an integer`);
    return { values: [raw || 0], negativeText: false };
  }
  if (typeof raw === 'string') {
    const ws = words(raw);
    if (ws.length === 0) fail('the value is empty');
    return { values: ws.map((w) => parseWord(w, fail)), negativeText: ws.some((w) => w.startsWith('-')) };
  }
  return fail(`${show(raw)} is not an integer`);
}

function show(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return String(raw);
  if (raw === null || raw === undefined) return String(raw);
  return Array.isArray(raw) ? 'a list' : 'a mapping';
}

// ---------------------------------------------------------------------------------------
// Rules: what one profile's kernel accepts for one sysctl.

interface Rule<T> {
  readonly default: T;
  readonly scope: SysctlScope;
  /** What /proc/sys accepts, for error messages. */
  readonly allowed: string;
  readonly parse: (raw: unknown, current: T, fail: Fail) => T;
}

/** The profile's kernel has no such sysctl; the record carries the behaviour it has instead. */
interface Missing<T> {
  readonly missing: string;
  readonly value: T;
}

interface IntSpec<T extends number> {
  readonly min: number;
  readonly max: number;
  /** proc_dou8vec_minmax and proc_douintvec_minmax refuse any text starting with "-",
   *  even "-0" (kernel/sysctl.c do_proc_douintvec_w). */
  readonly unsigned: boolean;
  readonly default: T;
  readonly scope: SysctlScope;
  /** How the kernel reads the stored number; values it treats alike map to one model value. */
  readonly to: (v: number) => T;
  readonly meaning?: string;
}

/** proc_dointvec: any C int. */
const INT = { min: INT_MIN, max: INT_MAX, unsigned: false } as const;
/** proc_dou8vec_minmax without bounds in the table entry: 0..255. */
const U8 = { min: 0, max: U8_MAX, unsigned: true } as const;
/** proc_dointvec_minmax with SYSCTL_ZERO as the only bound. */
const NON_NEGATIVE_INT = { min: 0, max: INT_MAX, unsigned: false } as const;
/** proc_dointvec_jiffies: seconds, |v| <= INT_MAX / HZ. */
const FIN_TIMEOUT = { min: -TCP_FIN_TIMEOUT_MAX_S, max: TCP_FIN_TIMEOUT_MAX_S, unsigned: false, meaning: 'seconds' } as const;

const asIs = (v: number): number => v;
/** For knobs only tested for non-zero (e.g. `if (!sysctl_tcp_rfc1337)`). */
const nonZeroIsOne = (v: number): 0 | 1 => (v === 0 ? 0 : 1);
/** 0, 1, and every other value as 2: secure_seq.c secure_tcp_ts_off randomises timestamps only
 *  for tcp_timestamps == 1, so 3..255 behave as 2. Exact for tcp_tw_reuse (bounded 0..2). */
const zeroOneOrTwo = (v: number): 0 | 1 | 2 => (v === 0 ? 0 : v === 1 ? 1 : 2);

function integer<T extends number>(spec: IntSpec<T>): Rule<T> {
  return {
    default: spec.default,
    scope: spec.scope,
    allowed: `an integer ${spec.min}..${spec.max}${spec.meaning ? ` (${spec.meaning})` : ''}`,
    parse(raw, _current, fail) {
      const { values, negativeText } = parseIntegers(raw, fail);
      // The kernel reads the first number and silently ignores the rest of the write
      // (kernel/sysctl.c do_proc_dointvec); a second number here is refused as a mistake.
      if (values.length > 1) fail(`${show(raw)} has ${values.length} numbers, one is expected`);
      const v = values[0] ?? fail('the value is empty');
      if (spec.unsigned && (v < 0 || negativeText)) fail(`${show(raw)} is negative`);
      if (v < spec.min || v > spec.max) fail(`${v} is out of range`);
      return spec.to(v);
    },
  };
}

/** sysctl_net_ipv4.c ipv4_local_port_range: two ints, each PORT_MIN..PORT_MAX
 *  (proc_dointvec_minmax), then refused if hi < lo, and since 4.11 also if lo is below
 *  ip_unprivileged_port_start (modelled at its default, PROT_SOCK). lo == hi is accepted;
 *  so are bounds of the same parity (set_local_port_range only logs "prefer different
 *  parity"). The write starts from the current range, so one number sets only lo. */
function portRange(minLo: number): Rule<readonly [number, number]> {
  const why = minLo > PORT_MIN ? ' (LO no lower than ip_unprivileged_port_start)' : '';
  return {
    default: DEFAULT_PORT_RANGE,
    scope: 'netns',
    allowed: `"LO HI" with ${minLo} <= LO <= HI <= ${PORT_MAX}${why}; one number sets LO only`,
    parse(raw, current, fail) {
      const { values } = parseIntegers(raw, fail);
      // Like a single int, the kernel ignores anything after the second number; refused here.
      if (values.length > 2) fail(`${show(raw)} has ${values.length} numbers, two are expected`);
      const lo = values[0] ?? fail('the value is empty');
      const hi = values[1] ?? current[1];
      for (const port of [lo, hi]) if (port < PORT_MIN || port > PORT_MAX) fail(`port ${port} is out of range`);
      if (hi < lo) fail(`LO ${lo} is above HI ${hi}`);
      if (lo < minLo) fail(`LO ${lo} is below ip_unprivileged_port_start (${minLo})`);
      return Object.freeze([lo, hi] as const);
    },
  };
}

/** kernel/sysctl.c proc_do_large_bitmap: "a,b-c,..." with ports 0..65535; a write replaces
 *  the whole set. Leading newlines are skipped; after a number only "-", "," or a newline
 *  may follow, so spaces are refused; a trailing "," is accepted; "b-a" with b > a is refused.
 *  "" (nothing but newlines) clears the set. */
const reservedPorts: Rule<readonly (readonly [number, number])[]> = {
  default: Object.freeze([]),
  scope: 'netns',
  allowed:
    `ports and ranges LO-HI within 0..${RESERVED_PORTS_BITS - 1}, separated by commas without spaces, ` +
    'e.g. "8080,9000-9099"; "" for none',
  parse(raw, _current, fail) {
    let text: string;
    if (typeof raw === 'string') text = raw;
    else if (typeof raw === 'number' && Number.isInteger(raw)) text = String(raw);
    else return fail(`${show(raw)} is not a list of ports`);

    let i = 0;
    const skipNewlines = (): void => {
      while (text[i] === '\n') i++;
    };
    const port = (): number => {
      const m = /^[0-9a-zA-Z]+/.exec(text.slice(i));
      if (!m) {
        const c = text[i];
        if (c === undefined) return fail(`${show(text)} ends with "-"`);
        return fail(`${show(text)} has ${JSON.stringify(c)} where a port is expected`);
      }
      i += m[0].length;
      const v = parseWord(m[0], fail);
      if (v >= RESERVED_PORTS_BITS) fail(`port ${v} is out of range`);
      return v;
    };
    const separator = (allowed: string, after: string): string | undefined => {
      const c = text[i];
      if (c === undefined) return undefined;
      if (!allowed.includes(c)) fail(`${show(text)} has ${JSON.stringify(c)} after ${after}`);
      i++;
      return c;
    };

    const ranges: [number, number][] = [];
    skipNewlines();
    while (i < text.length) {
      const lo = port();
      let hi = lo;
      if (separator('-,\n', String(lo)) === '-') {
        hi = port();
        separator(',\n', `${lo}-${hi}`);
        if (lo > hi) fail(`range ${lo}-${hi} is reversed`);
      }
      ranges.push([lo, hi]);
      skipNewlines();
    }
    return mergeRanges(ranges);
  },
};

/** Sorted, with overlapping and adjacent ranges joined: the runs of the kernel's bitmap. */
function mergeRanges(ranges: [number, number][]): readonly (readonly [number, number])[] {
  const out: [number, number][] = [];
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return Object.freeze(out.map((r) => Object.freeze(r)));
}

// ---------------------------------------------------------------------------------------
// The table: one descriptor per sysctl, its rule on every profile.

type Key = keyof Sysctls;
type Mutable = { -readonly [K in Key]: Sysctls[K] };
type PerProfile<T> = Readonly<Record<KernelProfileName, Rule<T> | Missing<T>>>;

interface Descriptor<K extends Key> {
  /** Full sysctl(8) name. */
  readonly name: string;
  readonly on: PerProfile<Sysctls[K]>;
  /** How /proc/sys prints the value; String() when absent. */
  readonly format?: (v: Sysctls[K]) => string;
}

/** linux-6.18, and rfc9293 which has the same knobs. */
function modern<T>(rule: Rule<T> | Missing<T>): Pick<PerProfile<T>, 'linux-6.18' | 'rfc9293'> {
  return { 'linux-6.18': rule, rfc9293: rule };
}

// Per profile: linux-6.18 (and rfc9293) from the 6.18 ctl_tables, where every modelled knob
// but tcp_max_orphans is in ipv4_net_table (per netns); linux-4.4 from the 4.4 ones, where
// only the port knobs and somaxconn are per netns and the rest sit in ipv4_table.
const ON_OFF = '0 off, anything else on';

const TABLE: { readonly [K in Key]: Descriptor<K> } = {
  ip_local_port_range: {
    name: 'net.ipv4.ip_local_port_range',
    on: { ...modern(portRange(PROT_SOCK)), 'linux-4.4': portRange(PORT_MIN) },
    format: ([lo, hi]) => `${lo}\t${hi}`,
  },
  ip_local_reserved_ports: {
    name: 'net.ipv4.ip_local_reserved_ports',
    on: { ...modern(reservedPorts), 'linux-4.4': reservedPorts },
    format: (ranges) => ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(','),
  },
  tcp_tw_reuse: {
    name: 'net.ipv4.tcp_tw_reuse',
    on: {
      // proc_dou8vec_minmax, SYSCTL_ZERO..SYSCTL_TWO; default 2 (tcp_ipv4.c tcp_sk_init).
      ...modern(
        integer({ ...U8, max: 2, default: 2, scope: 'netns', to: zeroOneOrTwo, meaning: '0 off, 1 on, 2 loopback only' }),
      ),
      // proc_dointvec; 4.4 tcp_twsk_unique only tests it for non-zero, so 2 means 1 there.
      'linux-4.4': integer<0 | 1 | 2>({ ...INT, default: 0, scope: 'host', to: nonZeroIsOne, meaning: ON_OFF }),
    },
  },
  tcp_tw_reuse_delay: {
    name: 'net.ipv4.tcp_tw_reuse_delay',
    on: {
      // proc_douintvec_minmax, SYSCTL_ONE..tcp_tw_reuse_delay_max.
      ...modern(
        integer({
          min: 1,
          max: TCP_TW_REUSE_DELAY_MAX_MS,
          unsigned: true,
          default: TCP_TW_REUSE_DELAY_MS,
          scope: 'netns',
          to: asIs,
          meaning: 'milliseconds',
        }),
      ),
      'linux-4.4': {
        missing: 'added in 6.14; 4.4 reuses a TIME_WAIT after more than 1 s, hard-coded',
        value: TCP_TW_REUSE_DELAY_MS,
      },
    },
  },
  tcp_timestamps: {
    name: 'net.ipv4.tcp_timestamps',
    on: {
      // proc_dou8vec_minmax without bounds: 0..255; every value above 1 behaves as 2.
      ...modern(
        integer({ ...U8, default: 1, scope: 'netns', to: zeroOneOrTwo, meaning: '0 off, 1 on with random offsets, 2 on without' }),
      ),
      // proc_dointvec; 4.4 has no per-connection offsets, and non-zero means on.
      'linux-4.4': integer<0 | 1 | 2>({ ...INT, default: 1, scope: 'host', to: nonZeroIsOne, meaning: ON_OFF }),
    },
  },
  tcp_max_tw_buckets: {
    name: 'net.ipv4.tcp_max_tw_buckets',
    on: {
      // proc_dointvec: 0 and negative values are accepted. 0 refuses every TIME_WAIT
      // (TcpExtTCPTimeWaitOverflow); a negative value is no limit since 5.17 (inet_twsk_alloc
      // compares as unsigned) and refuses every TIME_WAIT on 4.4 (docs/fidelity.md).
      ...modern(integer({ ...INT, default: DEFAULT_MAX_TW_BUCKETS, scope: 'netns', to: asIs })),
      'linux-4.4': integer({ ...INT, default: DEFAULT_MAX_TW_BUCKETS, scope: 'host', to: asIs }),
    },
  },
  tcp_fin_timeout: {
    name: 'net.ipv4.tcp_fin_timeout',
    on: {
      // proc_dointvec_jiffies: seconds, |v| <= INT_MAX / HZ; 0 and negative accepted.
      ...modern(integer({ ...FIN_TIMEOUT, default: TCP_FIN_TIMEOUT_S, scope: 'netns', to: asIs })),
      // 4.4 checked |v| <= LONG_MAX / HZ and let v * HZ wrap in the int; here such values
      // are refused at the 6.18 bound instead of wrapped.
      'linux-4.4': integer({ ...FIN_TIMEOUT, default: TCP_FIN_TIMEOUT_S, scope: 'host', to: asIs }),
    },
  },
  tcp_rfc1337: {
    name: 'net.ipv4.tcp_rfc1337',
    on: {
      // proc_dou8vec_minmax: 0..255; tcp_timewait_state_process only tests it for non-zero.
      ...modern(integer({ ...U8, default: 0, scope: 'netns', to: nonZeroIsOne, meaning: ON_OFF })),
      'linux-4.4': integer({ ...INT, default: 0, scope: 'host', to: nonZeroIsOne, meaning: ON_OFF }), // proc_dointvec
    },
  },
  tcp_syn_retries: {
    name: 'net.ipv4.tcp_syn_retries',
    on: {
      // 6.18 proc_dou8vec_minmax, 4.4 proc_dointvec_minmax; both tcp_syn_retries_min..max.
      ...modern(integer({ ...U8, min: 1, max: MAX_TCP_SYNCNT, default: TCP_SYN_RETRIES, scope: 'netns', to: asIs })),
      'linux-4.4': integer({ ...INT, min: 1, max: MAX_TCP_SYNCNT, default: TCP_SYN_RETRIES, scope: 'host', to: asIs }),
    },
  },
  tcp_synack_retries: {
    name: 'net.ipv4.tcp_synack_retries',
    on: {
      ...modern(integer({ ...U8, default: TCP_SYNACK_RETRIES, scope: 'netns', to: asIs })), // proc_dou8vec_minmax
      'linux-4.4': integer({ ...INT, default: TCP_SYNACK_RETRIES, scope: 'host', to: asIs }), // proc_dointvec
    },
  },
  tcp_orphan_retries: {
    name: 'net.ipv4.tcp_orphan_retries',
    on: {
      ...modern(integer({ ...U8, default: 0, scope: 'netns', to: asIs })), // proc_dou8vec_minmax
      'linux-4.4': integer({ ...INT, default: 0, scope: 'host', to: asIs }), // proc_dointvec
    },
  },
  tcp_max_orphans: {
    name: 'net.ipv4.tcp_max_orphans',
    on: {
      // proc_dointvec in ipv4_table on both kernels: host-wide (no such file in a child netns).
      ...modern(integer({ ...INT, default: DEFAULT_MAX_ORPHANS, scope: 'host', to: asIs })),
      'linux-4.4': integer({ ...INT, default: DEFAULT_MAX_ORPHANS, scope: 'host', to: asIs }),
    },
  },
  tcp_max_syn_backlog: {
    name: 'net.ipv4.tcp_max_syn_backlog',
    on: {
      ...modern(integer({ ...INT, default: DEFAULT_MAX_SYN_BACKLOG, scope: 'netns', to: asIs })), // proc_dointvec
      'linux-4.4': integer({ ...INT, default: DEFAULT_MAX_SYN_BACKLOG_4_4, scope: 'host', to: asIs }),
    },
  },
  somaxconn: {
    name: 'net.core.somaxconn',
    on: {
      // sysctl_net_core.c netns_core_table: proc_dointvec_minmax, SYSCTL_ZERO..INT_MAX, per
      // netns on both kernels (4.4 already had a u32 sk_max_ack_backlog, so > 65535 works).
      ...modern(integer({ ...NON_NEGATIVE_INT, default: SOMAXCONN, scope: 'netns', to: asIs })),
      'linux-4.4': integer({ ...NON_NEGATIVE_INT, default: SOMAXCONN_4_4, scope: 'netns', to: asIs }),
    },
  },
  tcp_tw_recycle: {
    name: 'net.ipv4.tcp_tw_recycle',
    on: {
      ...modern<0 | 1>({ missing: 'removed in 4.12', value: 0 }),
      // proc_dointvec, tested for non-zero (tcp_ipv4.c tcp_v4_connect, tcp_minisocks.c).
      'linux-4.4': integer({ ...INT, default: 0, scope: 'host', to: nonZeroIsOne, meaning: ON_OFF }),
    },
  },
};

const KEYS = Object.keys(TABLE) as Key[];
const KEY_BY_NAME: ReadonlyMap<string, Key> = new Map(KEYS.map((k) => [TABLE[k].name, k]));

function has<K extends Key>(profile: KernelProfileName, key: K): boolean {
  return !isMissing(TABLE[key].on[profile]);
}

function isMissing<T>(r: Rule<T> | Missing<T>): r is Missing<T> {
  return 'missing' in r;
}

// ---------------------------------------------------------------------------------------
// API

/** The kernel's defaults on the reference host (memory-derived ones for 24 GiB, see above). */
export function defaultSysctls(profile: KernelProfileName): Sysctls {
  const out = {} as Mutable;
  for (const key of KEYS) setDefault(out, key, profile);
  return Object.freeze(out);
}

function setDefault<K extends Key>(out: Mutable, key: K, profile: KernelProfileName): void {
  const rule = TABLE[key].on[profile];
  out[key] = isMissing(rule) ? rule.value : rule.default;
}

/** Returns a new Sysctls with one full-named sysctl (e.g. "net.ipv4.tcp_tw_reuse",
 *  "net.core.somaxconn") set from a scenario value (YAML number or string). Throws
 *  SysctlError naming the sysctl, the value and what is allowed. */
export function applySysctl(profile: KernelProfileName, base: Sysctls, fullName: string, raw: unknown): Sysctls {
  return applyKey(profile, base, keyOf(profile, fullName, raw), raw);
}

function applyKey<K extends Key>(profile: KernelProfileName, base: Sysctls, key: K, raw: unknown): Sysctls {
  const rule = ruleOf(profile, key, raw);
  const fail: Fail = (problem) => {
    throw new SysctlError(TABLE[key].name, raw, rule.allowed, problem);
  };
  const next: Mutable = { ...base };
  next[key] = rule.parse(raw, base[key], fail);
  return Object.freeze(next);
}

/** The profile's rule for the sysctl, or the error for a sysctl its kernel does not have. */
function ruleOf<K extends Key>(profile: KernelProfileName, key: K, raw: unknown): Rule<Sysctls[K]> {
  const { name, on } = TABLE[key];
  const rule = on[profile];
  if (!isMissing(rule)) return rule;
  const having = KERNEL_PROFILES.filter((p) => has(p, key));
  const sameKnobs = profile === 'rfc9293' ? '; rfc9293 has the linux-6.18 sysctls' : '';
  const problem = `does not exist on ${profile} (${rule.missing}${sameKnobs})`;
  throw new SysctlError(name, raw, `only with kernel: ${having.join(', ')}`, problem);
}

function keyOf(profile: KernelProfileName, fullName: string, raw: unknown): Key {
  const key = KEY_BY_NAME.get(fullName);
  if (key !== undefined) return key;
  const meant = [`net.ipv4.${fullName}`, `net.core.${fullName}`].find((n) => KEY_BY_NAME.has(n));
  const hint = meant ? ` (did you mean ${meant}?)` : '';
  const allowed = `one of the sysctls twlab models on ${profile}: ${sysctlNames(profile).join(', ')}`;
  throw new SysctlError(fullName, raw, allowed, `unknown sysctl${hint}`);
}

/** Full sysctl(8) names settable on the profile, sorted. */
export function sysctlNames(profile: KernelProfileName): string[] {
  return KEYS.filter((k) => has(profile, k))
    .map((k) => TABLE[k].name)
    .sort();
}

/** Whether the sysctl is per network namespace or only in the initial one (lab needs to know
 *  what it can set inside its namespaces). Throws SysctlError if the profile lacks it. */
export function sysctlScope(profile: KernelProfileName, fullName: string): SysctlScope {
  return ruleOf(profile, keyOf(profile, fullName, undefined), undefined).scope;
}

/** The value as /proc/sys prints it (tab between the port bounds, "a-b,c" for reserved ports). */
export function formatSysctl(sysctls: Sysctls, fullName: string): string {
  const key = KEY_BY_NAME.get(fullName);
  if (key === undefined) {
    throw new SysctlError(fullName, undefined, `one of: ${[...KEY_BY_NAME.keys()].sort().join(', ')}`, 'unknown sysctl');
  }
  return formatKey(sysctls, key);
}

function formatKey<K extends Key>(sysctls: Sysctls, key: K): string {
  const { format } = TABLE[key];
  return format ? format(sysctls[key]) : String(sysctls[key]);
}

/** Whether ip_local_reserved_ports holds the port (the connect() port search skips it,
 *  inet_hashtables.c __inet_hash_connect via inet_is_local_reserved_port). */
export function isReservedPort(sysctls: Sysctls, port: number): boolean {
  const ranges = sysctls.ip_local_reserved_ports;
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [first, last] = ranges[mid] ?? [0, -1];
    if (port < first) hi = mid - 1;
    else if (port > last) lo = mid + 1;
    else return true;
  }
  return false;
}
