// Tests for the sysctl table (sysctl.ts): defaults, which knobs each profile has, and the
// values each kernel's /proc/sys accepts. The linux-6.18 rules are checked against text
// captured from a real 6.18 kernel (KERNEL_6_18 below); the 4.4 rules against the v4.4.178
// source, named in each test.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  applySysctl,
  defaultSysctls,
  formatSysctl,
  isReservedPort,
  KERNEL_PROFILES,
  SysctlError,
  sysctlNames,
  sysctlScope,
  type KernelProfileName,
  type Sysctls,
} from './sysctl.js';

// ---------------------------------------------------------------------------------------
// Fixtures

/** `cat /proc/sys/...` on the reference host (6.18.44, x86-64, 24 GiB, CONFIG_HZ=250). */
const REFERENCE_HOST_PROC: Record<string, string> = {
  'net.ipv4.ip_local_port_range': '32768\t60999',
  'net.ipv4.ip_local_reserved_ports': '',
  'net.ipv4.tcp_tw_reuse': '2',
  'net.ipv4.tcp_tw_reuse_delay': '1000',
  'net.ipv4.tcp_timestamps': '1',
  'net.ipv4.tcp_max_tw_buckets': '131072',
  'net.ipv4.tcp_fin_timeout': '60',
  'net.ipv4.tcp_rfc1337': '0',
  'net.ipv4.tcp_syn_retries': '6',
  'net.ipv4.tcp_synack_retries': '5',
  'net.ipv4.tcp_orphan_retries': '0',
  'net.ipv4.tcp_max_orphans': '131072',
  'net.ipv4.tcp_max_syn_backlog': '2048',
  'net.core.somaxconn': '4096',
};

/**
 * Values written to /proc/sys in a fresh network namespace (`unshare -n`) of the reference
 * 6.18.44 host, each starting from the defaults, with what `cat` read back afterwards, or
 * null when the write failed. Written with printf '%s' (no trailing newline); zero-length
 * writes are left out, since the kernel ignores them rather than accepting "".
 */
const KERNEL_6_18: Record<string, [written: string, readBack: string | null][]> = {
  'net.ipv4.ip_local_port_range': [
    ["32768 60999", "32768\t60999"], ["1024 1024", "1024\t1024"], ["1023 2000", null], ["2000 1999", null],
    ["1024 65535", "1024\t65535"], ["1024 65536", null], ["0 100", null], ["40000\t40499", "40000\t40499"],
    ["  40000   40499  ", "40000\t40499"], ["40000", "40000\t60999"], ["40001 40499", "40001\t40499"],
    ["40000,40499", null], ["-1 5", null], ["60999 32768", null], ["40000 40499 5", "40000\t40499"],
    ["0x9c40 40499", "40000\t40499"],
  ],
  'net.ipv4.ip_local_reserved_ports': [
    ["8080", "8080"], ["8080,9090", "8080,9090"], ["1-3,2-5", "1-5"], ["1-3,4-5,9", "1-5,9"],
    ["8080, 9090", null], [" 8080", null], ["0", "0"], ["65535", "65535"], ["65536", null], ["5-3", null],
    ["1,", "1"], ["1-", null], ["1-1", "1"], [",1", null], ["1,,2", null], ["-1", null], ["\n", ""],
    ["1,2\n", "1-2"], ["1-2-3", null], ["0x10", "16"], ["010", "8"],
  ],
  'net.ipv4.tcp_tw_reuse': [
    ["0", "0"], ["1", "1"], ["2", "2"], ["3", null], ["255", null], ["256", null], ["-1", null],
    ["-0", null], ["1.5", null], ["abc", null], [" 1 ", "1"], ["0x2", "2"], ["1 2", "1"],
  ],
  'net.ipv4.tcp_timestamps': [
    ["0", "0"], ["1", "1"], ["2", "2"], ["3", "3"], ["255", "255"], ["256", null], ["-1", null],
    ["-0", null], ["1.5", null], ["abc", null], [" 1 ", "1"], ["010", "8"],
  ],
  'net.ipv4.tcp_rfc1337': [
    ["0", "0"], ["1", "1"], ["2", "2"], ["3", "3"], ["255", "255"], ["256", null], ["-1", null],
    ["-0", null], ["1.5", null], ["abc", null], [" 1 ", "1"],
  ],
  'net.ipv4.tcp_synack_retries': [
    ["0", "0"], ["1", "1"], ["2", "2"], ["3", "3"], ["255", "255"], ["256", null], ["-1", null],
    ["-0", null], ["1.5", null], ["abc", null], [" 1 ", "1"],
  ],
  'net.ipv4.tcp_orphan_retries': [
    ["0", "0"], ["1", "1"], ["2", "2"], ["3", "3"], ["255", "255"], ["256", null], ["-1", null],
    ["-0", null], ["1.5", null], ["abc", null], [" 1 ", "1"],
  ],
  'net.ipv4.tcp_syn_retries': [
    ["0", null], ["1", "1"], ["127", "127"], ["128", null],
  ],
  'net.ipv4.tcp_tw_reuse_delay': [
    ["0", null], ["1", "1"], ["60000", "60000"], ["60001", null], ["-1", null],
  ],
  'net.ipv4.tcp_max_tw_buckets': [
    ["0", "0"], ["-1", "-1"], ["-0", "0"], ["-2147483648", "-2147483648"], ["2147483647", "2147483647"],
    ["2147483648", null], ["-2147483649", null],
  ],
  'net.ipv4.tcp_max_syn_backlog': [
    ["0", "0"], ["-1", "-1"], ["-0", "0"], ["-2147483648", "-2147483648"], ["2147483647", "2147483647"],
    ["2147483648", null], ["-2147483649", null],
  ],
  'net.ipv4.tcp_fin_timeout': [
    ["0", "0"], ["-5", "-5"], ["8589934", "8589934"], ["8589935", null], ["-8589934", "-8589934"],
    ["-8589935", null],
  ],
  'net.core.somaxconn': [
    ["0", "0"], ["-1", null], ["65536", "65536"], ["2147483647", "2147483647"], ["2147483648", null],
  ],
};

/** Where twlab deliberately differs from the kernel on those writes. */
const STRICTER = new Set([
  // Text with a leading 0 or 0x: the kernel parses base 0 (proc_get_long); twlab wants decimal.
  'net.ipv4.ip_local_port_range 0x9c40 40499',
  'net.ipv4.ip_local_reserved_ports 0x10',
  'net.ipv4.ip_local_reserved_ports 010',
  'net.ipv4.tcp_tw_reuse 0x2',
  'net.ipv4.tcp_timestamps 010',
  // Extra numbers: the kernel stops after the vector is full and ignores the rest.
  'net.ipv4.ip_local_port_range 40000 40499 5',
  'net.ipv4.tcp_tw_reuse 1 2',
]);
/** Values the kernel stores as written but treats as another value: twlab records that one. */
const NORMALISED: Record<string, string> = {
  // secure_seq.c secure_tcp_ts_off: only tcp_timestamps == 1 randomises; the rest act as 2.
  'net.ipv4.tcp_timestamps 3': '2',
  'net.ipv4.tcp_timestamps 255': '2',
  // tcp_minisocks.c tcp_timewait_state_process tests tcp_rfc1337 for non-zero.
  'net.ipv4.tcp_rfc1337 2': '1',
  'net.ipv4.tcp_rfc1337 3': '1',
  'net.ipv4.tcp_rfc1337 255': '1',
};

// ---------------------------------------------------------------------------------------
// Helpers

function set(profile: KernelProfileName, name: string, raw: unknown, base: Sysctls = defaultSysctls(profile)): Sysctls {
  return applySysctl(profile, base, name, raw);
}

/** Setting name to raw fails; returns the error for further checks. */
function refused(profile: KernelProfileName, name: string, raw: unknown, problem?: RegExp): SysctlError {
  let caught: unknown;
  try {
    set(profile, name, raw);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof SysctlError, `${profile} ${name} = ${JSON.stringify(raw)} should be refused`);
  assert.equal(caught.sysctl, name);
  assert.equal(caught.value, raw);
  assert.equal(caught.message, `${caught.sysctl}: ${caught.problem}; allowed: ${caught.allowed}`);
  if (problem) assert.match(caught.problem, problem);
  return caught;
}

function text(profile: KernelProfileName, name: string, raw: unknown): string {
  return formatSysctl(set(profile, name, raw), name);
}

// ---------------------------------------------------------------------------------------

describe('defaults', () => {
  it('linux-6.18: what /proc/sys shows on the reference host (tcp_ipv4.c tcp_sk_init, af_inet.c inet_init_net)', () => {
    const d = defaultSysctls('linux-6.18');
    assert.deepEqual(sysctlNames('linux-6.18'), Object.keys(REFERENCE_HOST_PROC).sort());
    for (const [name, proc] of Object.entries(REFERENCE_HOST_PROC)) assert.equal(formatSysctl(d, name), proc, name);
    assert.equal(d.tcp_tw_recycle, 0);
  });

  it('memory-derived: tcp_max_tw_buckets = tcp_max_orphans = ehash/2, tcp_max_syn_backlog = ehash/128 (262144 slots)', () => {
    const d = defaultSysctls('linux-6.18');
    assert.equal(d.tcp_max_tw_buckets, 262144 / 2);
    assert.equal(d.tcp_max_orphans, 262144 / 2);
    assert.equal(d.tcp_max_syn_backlog, 262144 / 128);
  });

  it('linux-4.4: tcp_tw_reuse 0, somaxconn 128 (SOMAXCONN before 5.4), tcp_max_syn_backlog ehash/256 (4.4 tcp.c tcp_init)', () => {
    const d = defaultSysctls('linux-4.4');
    assert.equal(d.tcp_tw_reuse, 0);
    assert.equal(d.tcp_tw_recycle, 0);
    assert.equal(d.somaxconn, 128);
    assert.equal(d.tcp_max_syn_backlog, 1024);
    assert.equal(d.tcp_max_tw_buckets, 131072);
    assert.equal(d.tcp_max_orphans, 131072);
    assert.deepEqual(d.ip_local_port_range, [32768, 60999]); // 4.4 af_inet.c inet_init_net
    assert.equal(d.tcp_timestamps, 1);
    // Not a sysctl on 4.4: the record carries the hard-coded 1 s of tcp_twsk_unique.
    assert.equal(d.tcp_tw_reuse_delay, 1000);
  });

  it('rfc9293 has the linux-6.18 knobs and defaults', () => {
    assert.deepEqual(defaultSysctls('rfc9293'), defaultSysctls('linux-6.18'));
    assert.deepEqual(sysctlNames('rfc9293'), sysctlNames('linux-6.18'));
  });

  it('the record is read-only, nested arrays too', () => {
    for (const profile of KERNEL_PROFILES) {
      const d = set(profile, 'net.ipv4.ip_local_reserved_ports', '1-2,80');
      assert.ok(Object.isFrozen(d));
      assert.ok(Object.isFrozen(d.ip_local_port_range));
      assert.ok(Object.isFrozen(d.ip_local_reserved_ports));
      assert.ok(d.ip_local_reserved_ports.every((r) => Object.isFrozen(r)));
    }
  });
});

describe('which sysctls each profile has', () => {
  it('tcp_tw_recycle: only linux-4.4 (removed in 4.12)', () => {
    assert.ok(sysctlNames('linux-4.4').includes('net.ipv4.tcp_tw_recycle'));
    for (const profile of ['linux-6.18', 'rfc9293'] as const) {
      assert.ok(!sysctlNames(profile).includes('net.ipv4.tcp_tw_recycle'));
      const e = refused(profile, 'net.ipv4.tcp_tw_recycle', 1, new RegExp(`does not exist on ${profile} \\(removed in 4\\.12`));
      assert.equal(e.allowed, 'only with kernel: linux-4.4');
    }
    assert.match(refused('linux-6.18', 'net.ipv4.tcp_tw_recycle', 0).message, /does not exist on linux-6\.18 \(removed in 4\.12\)/);
    assert.equal(set('linux-4.4', 'net.ipv4.tcp_tw_recycle', 1).tcp_tw_recycle, 1);
  });

  it('tcp_tw_reuse_delay: linux-6.18 and rfc9293 only (added in 6.14)', () => {
    assert.ok(!sysctlNames('linux-4.4').includes('net.ipv4.tcp_tw_reuse_delay'));
    const e = refused('linux-4.4', 'net.ipv4.tcp_tw_reuse_delay', 1000, /does not exist on linux-4\.4 \(added in 6\.14/);
    assert.equal(e.allowed, 'only with kernel: linux-6.18, rfc9293');
  });

  it('an unknown name lists the modelled ones; a short name gets a hint', () => {
    const e = refused('linux-6.18', 'net.ipv4.tcp_keepalive_time', 7200, /^unknown sysctl$/);
    for (const name of sysctlNames('linux-6.18')) assert.ok(e.allowed.includes(name), name);
    refused('linux-6.18', 'tcp_tw_reuse', 1, /did you mean net\.ipv4\.tcp_tw_reuse\?/);
    refused('linux-6.18', 'somaxconn', 1, /did you mean net\.core\.somaxconn\?/);
    refused('linux-6.18', 'net/ipv4/tcp_tw_reuse', 1, /unknown sysctl/);
  });

  it('scope: 6.18 knobs are per netns except tcp_max_orphans; 4.4 has only the port knobs and somaxconn per netns', () => {
    // 6.18 sysctl_net_ipv4.c: tcp_max_orphans is the one modelled knob left in ipv4_table.
    for (const name of sysctlNames('linux-6.18')) {
      assert.equal(sysctlScope('linux-6.18', name), name === 'net.ipv4.tcp_max_orphans' ? 'host' : 'netns', name);
    }
    // 4.4 sysctl_net_ipv4.c ipv4_net_table held only the port knobs; somaxconn is netns_core_table.
    const perNetns44 = ['net.core.somaxconn', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_local_reserved_ports'];
    for (const name of sysctlNames('linux-4.4')) {
      assert.equal(sysctlScope('linux-4.4', name), perNetns44.includes(name) ? 'netns' : 'host', name);
    }
    assert.throws(() => sysctlScope('linux-6.18', 'net.ipv4.tcp_tw_recycle'), SysctlError);
  });
});

describe('linux-6.18 against a real 6.18 kernel (values written to /proc/sys)', () => {
  for (const [name, rows] of Object.entries(KERNEL_6_18)) {
    it(`${name}: accepts and refuses what the kernel does`, () => {
      for (const [written, readBack] of rows) {
        const row = `${name} ${written}`;
        if (readBack === null || STRICTER.has(row)) {
          assert.ok(readBack !== null || !STRICTER.has(row), `${row}: listed as stricter but the kernel refuses it`);
          refused('linux-6.18', name, written);
        } else {
          assert.equal(text('linux-6.18', name, written), NORMALISED[row] ?? readBack, row);
        }
      }
    });
  }
});

describe('net.ipv4.ip_local_port_range (sysctl_net_ipv4.c ipv4_local_port_range)', () => {
  const name = 'net.ipv4.ip_local_port_range';

  it('LO == HI is accepted, HI < LO refused, on both kernels', () => {
    for (const profile of KERNEL_PROFILES) {
      assert.deepEqual(set(profile, name, '40000 40000').ip_local_port_range, [40000, 40000]);
      refused(profile, name, '40001 40000', /LO 40001 is above HI 40000/);
    }
  });

  it('6.18: LO may not be below ip_unprivileged_port_start (1024; the check came in 4.11)', () => {
    refused('linux-6.18', name, '1023 2000', /below ip_unprivileged_port_start/);
    assert.deepEqual(set('linux-6.18', name, '1024 65535').ip_local_port_range, [1024, 65535]);
    assert.match(refused('linux-6.18', name, '1 2').allowed, /1024 <= LO <= HI <= 65535/);
  });

  it('4.4: any LO from 1 (ip_local_port_range_min), HI up to 65535', () => {
    assert.deepEqual(set('linux-4.4', name, '1 1').ip_local_port_range, [1, 1]);
    refused('linux-4.4', name, '0 100', /port 0 is out of range/);
    refused('linux-4.4', name, '1 65536', /port 65536 is out of range/);
  });

  it('one number sets LO only: the write starts from the current range', () => {
    const base = set('linux-6.18', name, '40000 40499');
    assert.deepEqual(set('linux-6.18', name, '40100', base).ip_local_port_range, [40100, 40499]);
    assert.deepEqual(set('linux-6.18', name, 40100, base).ip_local_port_range, [40100, 40499]);
    refused('linux-6.18', name, 61000, /LO 61000 is above HI 60999/); // from the defaults
  });

  it('bounds of the same parity are accepted (set_local_port_range only logs a warning)', () => {
    assert.deepEqual(set('linux-6.18', name, '40000 40500').ip_local_port_range, [40000, 40500]);
  });

  it('refuses other shapes: commas, empty text, lists, fractions', () => {
    refused('linux-6.18', name, '40000,40499');
    refused('linux-6.18', name, '', /empty/);
    refused('linux-6.18', name, '\n', /empty/);
    refused('linux-6.18', name, [40000, 40499]);
    refused('linux-6.18', name, '40000 40499.5');
    refused('linux-6.18', name, '040000 40499', /octal \(16384\)/);
  });
});

describe('net.ipv4.ip_local_reserved_ports (kernel/sysctl.c proc_do_large_bitmap)', () => {
  const name = 'net.ipv4.ip_local_reserved_ports';
  const reserved = (raw: unknown, base?: Sysctls): Sysctls['ip_local_reserved_ports'] =>
    set('linux-6.18', name, raw, base).ip_local_reserved_ports;

  it('ranges come back sorted, with overlapping and adjacent ones merged', () => {
    assert.deepEqual(reserved('9000-9099,8080,1-3,2-5,6'), [
      [1, 6],
      [8080, 8080],
      [9000, 9099],
    ]);
    assert.deepEqual(reserved(8080), [[8080, 8080]]);
    assert.equal(text('linux-6.18', name, '9000-9099,8080,1-3'), '1-3,8080,9000-9099');
  });

  it('a write replaces the whole set; "" clears it', () => {
    const base = set('linux-6.18', name, '8080');
    assert.deepEqual(reserved('9090', base), [[9090, 9090]]);
    assert.deepEqual(reserved('', base), []);
  });

  it('ports 0..65535 (a 65536-bit bitmap)', () => {
    assert.deepEqual(reserved('0,65535'), [
      [0, 0],
      [65535, 65535],
    ]);
    refused('linux-6.18', name, '65536', /port 65536 is out of range/);
    refused('linux-4.4', name, '1-65536', /port 65536 is out of range/);
  });

  it('refuses spaces, reversed or open ranges, and negative ports', () => {
    refused('linux-6.18', name, '8080, 9090', /" " where a port is expected/);
    refused('linux-6.18', name, '5-3', /range 5-3 is reversed/);
    refused('linux-6.18', name, '1-', /ends with "-"/);
    refused('linux-6.18', name, '-1');
    refused('linux-6.18', name, '1-2-3', /"-" after 1-2/);
    refused('linux-6.18', name, 80.5);
    refused('linux-6.18', name, null);
  });

  it('isReservedPort: the inclusive ends of each range', () => {
    const s = set('linux-6.18', name, '10-20,30,40-50');
    const inside = [10, 15, 20, 30, 40, 50];
    const outside = [0, 9, 21, 29, 31, 39, 51, 65535];
    for (const p of inside) assert.equal(isReservedPort(s, p), true, String(p));
    for (const p of outside) assert.equal(isReservedPort(s, p), false, String(p));
    assert.equal(isReservedPort(defaultSysctls('linux-6.18'), 32768), false);
  });
});

describe('integers (kernel/sysctl.c proc_get_long, do_proc_dointvec, proc_dou8vec_minmax)', () => {
  it('YAML integers and decimal text are the same value', () => {
    assert.equal(set('linux-6.18', 'net.ipv4.tcp_tw_reuse', 1).tcp_tw_reuse, 1);
    assert.equal(set('linux-6.18', 'net.ipv4.tcp_tw_reuse', ' 1\n').tcp_tw_reuse, 1);
    assert.equal(set('linux-6.18', 'net.ipv4.tcp_fin_timeout', '30').tcp_fin_timeout, 30);
  });

  it('refuses fractions, booleans, null, lists and mappings', () => {
    refused('linux-6.18', 'net.ipv4.tcp_tw_reuse', 1.5, /1\.5 is not an integer/);
    refused('linux-6.18', 'net.ipv4.tcp_tw_reuse', '1.5', /not a decimal integer/);
    refused('linux-6.18', 'net.ipv4.tcp_tw_reuse', true);
    refused('linux-6.18', 'net.ipv4.tcp_tw_reuse', null);
    refused('linux-6.18', 'net.ipv4.tcp_tw_reuse', [1]);
    refused('linux-6.18', 'net.ipv4.tcp_tw_reuse', { value: 1 });
    refused('linux-6.18', 'net.core.somaxconn', '+5');
  });

  it('text with a leading 0 or 0x is refused, naming what the kernel would read (base 0)', () => {
    refused('linux-6.18', 'net.ipv4.tcp_max_syn_backlog', '010', /octal \(8\)/);
    refused('linux-6.18', 'net.ipv4.tcp_max_syn_backlog', '0x100', /hexadecimal \(the kernel would read 256\)/);
    refused('linux-6.18', 'net.ipv4.tcp_max_syn_backlog', '-010', /octal \(-8\)/);
    assert.equal(set('linux-6.18', 'net.ipv4.tcp_max_syn_backlog', '0').tcp_max_syn_backlog, 0);
  });

  it('more than one number is refused (the kernel would silently ignore the rest)', () => {
    refused('linux-6.18', 'net.ipv4.tcp_tw_reuse', '1 2', /has 2 numbers/);
  });

  it('"-0": 0 for proc_dointvec, refused by the unsigned handlers (do_proc_douintvec_w)', () => {
    assert.equal(set('linux-6.18', 'net.ipv4.tcp_max_tw_buckets', '-0').tcp_max_tw_buckets, 0);
    refused('linux-6.18', 'net.ipv4.tcp_orphan_retries', '-0', /negative/);
    refused('linux-6.18', 'net.ipv4.tcp_tw_reuse_delay', '-0', /negative/);
  });

  it('tcp_syn_retries: 1..MAX_TCP_SYNCNT (127) on both kernels', () => {
    for (const profile of KERNEL_PROFILES) {
      assert.equal(set(profile, 'net.ipv4.tcp_syn_retries', 127).tcp_syn_retries, 127);
      refused(profile, 'net.ipv4.tcp_syn_retries', 0, /0 is out of range/);
      refused(profile, 'net.ipv4.tcp_syn_retries', 128, /128 is out of range/);
    }
  });

  it('tcp_fin_timeout: |seconds| <= INT_MAX / CONFIG_HZ (proc_dointvec_jiffies), 0 and negative accepted', () => {
    assert.equal(set('linux-6.18', 'net.ipv4.tcp_fin_timeout', -1).tcp_fin_timeout, -1);
    assert.equal(set('linux-6.18', 'net.ipv4.tcp_fin_timeout', 8589934).tcp_fin_timeout, 8589934);
    refused('linux-6.18', 'net.ipv4.tcp_fin_timeout', 8589935);
    refused('linux-4.4', 'net.ipv4.tcp_fin_timeout', -8589935);
  });

  it('the allowed text names the range and meaning', () => {
    assert.equal(refused('linux-6.18', 'net.ipv4.tcp_tw_reuse', 3).allowed, 'an integer 0..2 (0 off, 1 on, 2 loopback only)');
    assert.equal(refused('linux-6.18', 'net.core.somaxconn', -1).allowed, 'an integer 0..2147483647');
    assert.equal(refused('linux-6.18', 'net.ipv4.tcp_tw_reuse_delay', 0).allowed, 'an integer 1..60000 (milliseconds)');
  });
});

describe('linux-4.4 (v4.4.178 sysctl_net_ipv4.c ipv4_table: mostly proc_dointvec)', () => {
  it('tcp_tw_reuse takes any int; tcp_twsk_unique only tests it for non-zero, so 2 and -1 mean 1', () => {
    assert.equal(set('linux-4.4', 'net.ipv4.tcp_tw_reuse', 2).tcp_tw_reuse, 1);
    assert.equal(set('linux-4.4', 'net.ipv4.tcp_tw_reuse', -1).tcp_tw_reuse, 1);
    assert.equal(set('linux-4.4', 'net.ipv4.tcp_tw_reuse', 0).tcp_tw_reuse, 0);
    refused('linux-4.4', 'net.ipv4.tcp_tw_reuse', 2147483648, /out of range/); // do_proc_dointvec_conv
  });

  it('tcp_timestamps, tcp_rfc1337, tcp_tw_recycle: non-zero means on', () => {
    assert.equal(set('linux-4.4', 'net.ipv4.tcp_timestamps', 2).tcp_timestamps, 1);
    assert.equal(set('linux-4.4', 'net.ipv4.tcp_rfc1337', 300).tcp_rfc1337, 1);
    assert.equal(set('linux-4.4', 'net.ipv4.tcp_tw_recycle', -1).tcp_tw_recycle, 1);
  });

  it('tcp_synack_retries and tcp_orphan_retries are plain ints (6.18 bounds them 0..255)', () => {
    assert.equal(set('linux-4.4', 'net.ipv4.tcp_synack_retries', 300).tcp_synack_retries, 300);
    assert.equal(set('linux-4.4', 'net.ipv4.tcp_orphan_retries', -1).tcp_orphan_retries, -1);
    refused('linux-6.18', 'net.ipv4.tcp_synack_retries', 300);
  });

  it('somaxconn: 0..INT_MAX (netns_core_table, proc_dointvec_minmax with SYSCTL_ZERO)', () => {
    assert.equal(set('linux-4.4', 'net.core.somaxconn', 65536).somaxconn, 65536);
    refused('linux-4.4', 'net.core.somaxconn', -1);
  });
});

describe('applySysctl is pure', () => {
  it('returns a new record and leaves the base alone', () => {
    const base = defaultSysctls('linux-6.18');
    const a = applySysctl('linux-6.18', base, 'net.ipv4.tcp_tw_reuse', 1);
    const b = applySysctl('linux-6.18', a, 'net.ipv4.ip_local_port_range', '40000 40499');
    assert.equal(base.tcp_tw_reuse, 2);
    assert.deepEqual(base.ip_local_port_range, [32768, 60999]);
    assert.equal(b.tcp_tw_reuse, 1);
    assert.deepEqual(b.ip_local_port_range, [40000, 40499]);
    assert.deepEqual(defaultSysctls('linux-6.18'), base);
  });

  it('a refused value changes nothing', () => {
    const base = defaultSysctls('linux-6.18');
    refused('linux-6.18', 'net.ipv4.tcp_tw_reuse', 5);
    assert.deepEqual(base, defaultSysctls('linux-6.18'));
  });
});
