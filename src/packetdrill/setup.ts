// Backquoted commands -> settings of the simulated host. Only sysctl settings are understood:
// `sysctl -q NAME=VALUE ...`, `echo VALUE > /proc/sys/...`, and shell files made of them
// (the kernel suite's common/defaults.sh, whose other two lines are no-ops for a fresh
// model: flushing tcp_metrics and setting the tun device's qdisc). Anything else is refused
// with the reason, since the model cannot run a program.

import type { HandshakeOptions } from '../tcp/profile.js';
import { DEFAULT_MSS, linuxWscale } from '../tcp/profile.js';
import type { KernelProfileName, Sysctls } from '../tcp/sysctl.js';
import { applySysctl, defaultSysctls, SysctlError, sysctlNames } from '../tcp/sysctl.js';

/** What the runner reads files with (defaults.sh next to a script); throws if absent. */
export type ReadFile = (path: string) => string;

/** The reference 6.18 host's buffer limits; a fresh network namespace copies tcp_rmem from the
 *  initial one (`unshare -n cat /proc/sys/net/ipv4/tcp_rmem`: 4096 131072 33554432). */
const REFERENCE_TCP_RMEM_MAX = 33554432;
const REFERENCE_RMEM_MAX = 4194304;

/**
 * Sysctls that tune what the model does not simulate (congestion control, SACK recovery,
 * pacing, TSO, ECN, Fast Open, SYN cookies, send buffers): accepted and ignored, with a note.
 */
const IGNORED = new Set([
  'net.ipv4.tcp_wmem',
  'net.ipv4.tcp_frto',
  'net.ipv4.tcp_dsack',
  'net.ipv4.tcp_fack',
  'net.ipv4.tcp_reordering',
  'net.ipv4.tcp_congestion_control',
  'net.ipv4.tcp_slow_start_after_idle',
  'net.ipv4.tcp_early_retrans',
  'net.ipv4.tcp_recovery',
  'net.ipv4.tcp_tso_win_divisor',
  'net.ipv4.tcp_ecn',
  'net.ipv4.tcp_ecn_option',
  'net.ipv4.tcp_pacing_ss_ratio',
  'net.ipv4.tcp_pacing_ca_ratio',
  'net.ipv4.tcp_notsent_lowat',
  'net.ipv4.tcp_fastopen',
  'net.ipv4.tcp_fastopen_key',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_min_tso_segs',
  'net.core.wmem_max',
  'net.core.default_qdisc',
]);

/** The settings the host is built with, changed by each sysctl command. */
export class HostSettings {
  sysctls: Sysctls;
  sack = true;
  windowScaling = true;
  tcpRmemMax = REFERENCE_TCP_RMEM_MAX;
  rmemMax = REFERENCE_RMEM_MAX;
  /** Sysctls accepted but without effect on the model, for the report. */
  readonly ignored: string[] = [];

  constructor(
    readonly profile: KernelProfileName,
    /** The advertised MSS for the address family (1460 IPv4, 1440 IPv6). */
    readonly mss: number = DEFAULT_MSS,
  ) {
    this.sysctls = defaultSysctls(profile);
  }

  handshake(): HandshakeOptions {
    return { mss: this.mss, sack: this.sack, wscale: this.windowScaling ? linuxWscale(this.tcpRmemMax, this.rmemMax) : -1 };
  }

  /** Apply one sysctl; throws CommandError for a value the kernel would refuse. */
  set(name: string, value: string): void {
    switch (name) {
      case 'net.ipv4.tcp_sack':
        this.sack = intOf(name, value) !== 0;
        return;
      case 'net.ipv4.tcp_window_scaling':
        this.windowScaling = intOf(name, value) !== 0;
        return;
      case 'net.ipv4.tcp_rmem': {
        const parts = value.trim().split(/\s+/);
        if (parts.length !== 3) throw new CommandError(`${name}: "${value}" needs three numbers (min default max)`);
        this.tcpRmemMax = intOf(name, parts[2]!);
        return;
      }
      case 'net.core.rmem_max':
        this.rmemMax = intOf(name, value);
        return;
    }
    if (IGNORED.has(name)) {
      if (!this.ignored.includes(name)) this.ignored.push(name);
      return;
    }
    if (!sysctlNames(this.profile).includes(name)) {
      throw new CommandError(
        `sysctl ${name} is not modelled; the model knows ${[...sysctlNames(this.profile), 'net.ipv4.tcp_sack', 'net.ipv4.tcp_window_scaling', 'net.ipv4.tcp_rmem', 'net.core.rmem_max'].sort().join(', ')}`,
      );
    }
    try {
      this.sysctls = applySysctl(this.profile, this.sysctls, name, value);
    } catch (e) {
      if (e instanceof SysctlError) throw new CommandError(e.message);
      throw e;
    }
  }
}

function intOf(name: string, value: string): number {
  const v = value.trim();
  if (!/^-?[0-9]+$/.test(v)) throw new CommandError(`${name}: "${value}" is not an integer`);
  return Number(v);
}

/** A command the model cannot carry out. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** `$((15*1024*1024))` and plain integers, as the shell expands them in defaults.sh. */
function expandArithmetic(word: string): string {
  return word.replace(/\$\(\(([^)]*)\)\)/g, (_m, expr: string) => {
    if (!/^[0-9+\-*/ ()]+$/.test(expr)) throw new CommandError(`cannot expand $((${expr}))`);
    let v = 0;
    // Integer arithmetic of + - * / with left-to-right precedence of * and / over + and -.
    const terms = expr.replace(/\s+/g, '').split(/(?=[+-])/);
    for (const term of terms) {
      const factors = term.replace(/^[+]/, '').split(/([*/])/);
      let t = Number(factors[0]);
      for (let i = 1; i < factors.length; i += 2) {
        const n = Number(factors[i + 1]);
        t = factors[i] === '*' ? t * n : Math.trunc(t / n);
      }
      v += t;
    }
    return String(v);
  });
}

/** Split a shell line into words, honouring double and single quotes. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let inWord = false;
  for (const c of line) {
    if (quote !== null) {
      if (c === quote) quote = null;
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (quote !== null) throw new CommandError(`unbalanced ${quote} in: ${line}`);
  if (inWord) words.push(cur);
  return words;
}

/** Drop output redirections (`> /dev/null 2>&1`): they change nothing here. */
function stripRedirections(words: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '>' || w === '2>' || w === '>>') {
      i++;
      continue;
    }
    if (/^[0-9]?>&[0-9]$/.test(w) || /^[0-9]?>\/dev\/null$/.test(w)) continue;
    out.push(w);
  }
  return out;
}

const PROC_SYS = '/proc/sys/';

/**
 * Run a backquoted command against the settings. `dir` is the script's directory (a
 * relative path to a shell file is read from there, as packetdrill runs from it).
 */
export function runCommand(text: string, settings: HostSettings, dir: string, readFile: ReadFile, depth = 0): void {
  for (const raw of text.split(/\n|;|&&/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '' || line.startsWith('#!')) continue;
    const words = stripRedirections(shellWords(line)).map(expandArithmetic);
    if (words.length === 0) continue;
    const [cmd, ...rest] = words as [string, ...string[]];
    if (cmd === 'sysctl') {
      const assignments = rest.filter((w) => !w.startsWith('-'));
      if (assignments.length === 0) throw new CommandError(`"${line}": sysctl without NAME=VALUE reads a value; only settings are understood`);
      for (const a of assignments) {
        const eq = a.indexOf('=');
        if (eq < 0) throw new CommandError(`"${line}": ${a} is not NAME=VALUE`);
        settings.set(a.slice(0, eq).replace(/\//g, '.'), a.slice(eq + 1));
      }
      continue;
    }
    // echo VALUE > /proc/sys/net/ipv4/NAME
    const target = /^echo\s+(.*?)\s*>\s*(\/proc\/sys\/\S+)$/.exec(line);
    if (target) {
      const value = shellWords(target[1]!).join(' ');
      settings.set(target[2]!.slice(PROC_SYS.length).replace(/\//g, '.'), expandArithmetic(value));
      continue;
    }
    // The two non-sysctl lines of the kernel suite's common/defaults.sh: nothing to flush
    // in a fresh model, and the model has no qdisc.
    if (cmd === 'ip' && rest[0] === 'tcp_metrics' && rest[1] === 'flush') continue;
    if (cmd === 'tc' && rest[0] === 'qdisc' && rest.includes('tun0')) continue;
    if (words.length === 1 && cmd.endsWith('.sh') && !cmd.includes('$')) {
      if (depth > 4) throw new CommandError(`${cmd}: shell files nest too deep`);
      const path = cmd.startsWith('/') ? cmd : `${dir}/${cmd}`;
      let body: string;
      try {
        body = readFile(path);
      } catch {
        throw new CommandError(`${cmd}: cannot read ${path}`);
      }
      const sub = path.slice(0, Math.max(path.lastIndexOf('/'), 0)) || '.';
      runCommand(body, settings, sub, readFile, depth + 1);
      continue;
    }
    throw new CommandError(`"${line}": only sysctl settings are understood in backquoted commands (sysctl -q NAME=VALUE, echo VALUE > /proc/sys/..., or a .sh file of those)`);
  }
}
