// Packets as packetdrill sees them: flags as sets of letters, option lists in the order Linux
// writes them (tcp_output.c tcp_options_write), and the one-line dump packetdrill prints
// ("F. 1001:1001(0) ack 1 win 257 <nop,nop,TS val 100 ecr 700>").

import { ACK, FIN, PSH, RST, SYN } from '../net/segment.js';
import type { Segment } from '../net/segment.js';
import type { TcpOption } from './script.js';

/** Flag letters -> header bits (packetdrill is_tcp_flag_set: each letter present or not). */
export function flagBits(flags: string): number {
  let b = 0;
  if (flags.includes('F')) b |= FIN;
  if (flags.includes('S')) b |= SYN;
  if (flags.includes('R')) b |= RST;
  if (flags.includes('P')) b |= PSH;
  if (flags.includes('.')) b |= ACK;
  return b;
}

/** Header bits -> letters in packetdrill's print order: F S R P then "." for ACK. */
export function flagLetters(bits: number): string {
  let s = '';
  if (bits & FIN) s += 'F';
  if (bits & SYN) s += 'S';
  if (bits & RST) s += 'R';
  if (bits & PSH) s += 'P';
  if (bits & ACK) s += '.';
  return s;
}

/**
 * The options of a segment the model sent, in Linux's order: MSS; then SACK-permitted and
 * timestamps sharing one word ("sackOK,TS") or "nop,nop,TS"; "nop,nop,sackOK" without
 * timestamps; "nop,wscale". Only SYNs carry MSS, SACK-permitted and window scale.
 */
export function linuxOptions(seg: Segment): TcpOption[] {
  const out: TcpOption[] = [];
  const syn = (seg.flags & SYN) !== 0;
  if (syn && seg.mss > 0) out.push({ kind: 'mss', value: seg.mss });
  const sackOk = syn && seg.sackOk;
  if (seg.hasTs) {
    if (sackOk) out.push({ kind: 'sackOK' });
    else out.push({ kind: 'nop' }, { kind: 'nop' });
    out.push({ kind: 'TS', val: seg.tsVal, ecr: seg.tsEcr });
  } else if (sackOk) {
    out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sackOK' });
  }
  if (syn && seg.wscale >= 0) out.push({ kind: 'nop' }, { kind: 'wscale', value: seg.wscale });
  return out;
}

/** One option as packetdrill prints it. */
export function formatOption(o: TcpOption): string {
  switch (o.kind) {
    case 'nop':
    case 'eol':
    case 'sackOK':
      return o.kind;
    case 'mss':
      return `mss ${o.value}`;
    case 'wscale':
      return `wscale ${o.value}`;
    case 'sack':
      return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
    case 'TS':
      return `TS val ${o.val} ecr ${o.ecr}`;
  }
}

/** What the dump needs to know of a packet, in script space. */
export interface PacketView {
  flags: number;
  seq: number;
  len: number;
  ack: number;
  /** null: not checked (not printed). */
  win: number | null;
  options: readonly TcpOption[];
}

/** packet_to_string DUMP_SHORT: "S. 0:0(0) ack 1 win 65535 <mss 1460,...>". */
export function formatPacket(p: PacketView): string {
  let s = `${flagLetters(p.flags)} ${p.seq >>> 0}:${(p.seq + p.len) >>> 0}(${p.len}) `;
  if (p.flags & ACK) s += `ack ${p.ack >>> 0} `;
  if (p.win !== null) s += `win ${p.win} `;
  if (p.options.length > 0) s += `<${p.options.map(formatOption).join(',')}>`;
  return s;
}

/** "%9.6f" of µs as seconds, as packetdrill prints times. */
export function formatSecs(usecs: number): string {
  return (usecs / 1e6).toFixed(6).padStart(9);
}
