// /proc/net/tcp and /proc/net/tcp6 -> socket records, read straight off the bytes.
//
// This is inspect's live socket source (docs/inspect.md says why: Node has no netlink
// socket, and on this kernel reading these files costs less than running `ss`). A host
// with 100 000 TIME_WAIT prints ~15 MB here, so the parser walks the Buffer once, decodes
// the fields it needs in place and jumps over the rest of each line with indexOf; address
// texts are cached, since a busy host has many sockets and few addresses.
//
// Line format (net/ipv4/tcp_ipv4.c get_tcp4_sock, get_timewait4_sock, get_openreq4;
// net/ipv6/tcp_ipv6.c get_tcp6_sock ...):
//   "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu ..."
//    sl   local     remote      st  tx:rx       tr:when     retr uid  timeout inode
// For a LISTEN socket rx_queue is its accept queue (sk_ack_backlog); its backlog is not
// printed (the last field is the fastopen queue's length), so a listener's backlog is unknown.
// An IPv4 address is one __be32 printed as a host-order %08X; an IPv6 address is four
// such words. So on a little-endian host "0100007F" is 127.0.0.1.

import { ipv4Text, ipv6Text } from './address.js';
import { SkipLog, SocketTable, STATE_INDEX, stateIndexOfCode, type Family, type Parsed } from './socket.js';

const LISTEN = STATE_INDEX.LISTEN;

const NL = 0x0a;
const SPACE = 0x20;
const COLON = 0x3a;

/** Hex digit value by byte, -1 for anything else. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[0x41 + i] = 10 + i;
  HEX[0x61 + i] = 10 + i;
}

export interface ProcTcpOptions {
  /** Byte order of the host that printed the file; the live host's is os.endianness(). */
  littleEndian?: boolean;
  /** Appends to this table (tcp6 after tcp) instead of a new one. */
  into?: SocketTable;
}

/** One reading position in the buffer; each step returns false on a malformed field. */
class Cursor {
  pos = 0;
  end = 0;
  value = 0;

  constructor(private readonly buf: Uint8Array) {}

  /** Moves to a new line [start, end). */
  reset(start: number, end: number): void {
    this.pos = start;
    this.end = end;
  }

  skipSpaces(): void {
    while (this.pos < this.end && this.buf[this.pos] === SPACE) this.pos++;
  }

  /** Exactly n hex digits into value (n <= 8). */
  hex(n: number): boolean {
    if (this.pos + n > this.end) return false;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const d = HEX[this.buf[this.pos + i] as number] as number;
      if (d < 0) return false;
      v = v * 16 + d;
    }
    this.value = v;
    this.pos += n;
    return true;
  }

  /** One or more decimal digits into value. */
  decimal(): boolean {
    const start = this.pos;
    let v = 0;
    while (this.pos < this.end) {
      const c = this.buf[this.pos] ?? 0;
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
      this.pos++;
    }
    this.value = v;
    return this.pos > start;
  }

  /** One or more non-space bytes. */
  skipWord(): boolean {
    const start = this.pos;
    while (this.pos < this.end && this.buf[this.pos] !== SPACE) this.pos++;
    return this.pos > start;
  }

  expect(c: number): boolean {
    if (this.buf[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  /** The hex digits up to the next ':' (the address part of "ADDR:PORT"): their count. */
  hexRunLength(): number {
    let p = this.pos;
    while (p < this.end && this.buf[p] !== COLON && this.buf[p] !== SPACE) p++;
    return p - this.pos;
  }
}

/** Parses the text of /proc/net/tcp, /proc/net/tcp6, or both one after the other. */
export function parseProcTcp(input: Uint8Array | string, options: ProcTcpOptions = {}): Parsed {
  const parser = new ProcTcpParser(options);
  parser.feed(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
  return parser.end();
}

/** Reads /proc/net/tcp{,6} a piece at a time, so that a saved dump of any size can be read (dump.ts). */
export class ProcTcpParser {
  private readonly littleEndian: boolean;
  private readonly sockets: SocketTable;
  /** Address numbers in the table by the printed value: a busy host has few addresses. */
  private readonly v4Ids = new Map<number, number>();
  private readonly v6Ids = new Map<string, number>();
  private readonly skip = new SkipLog();
  /** Lines read so far. */
  private lineNo = 0;

  constructor(options: ProcTcpOptions = {}) {
    this.littleEndian = options.littleEndian ?? true;
    this.sockets = options.into ?? new SocketTable();
  }

  end(): Parsed {
    return { sockets: this.sockets, skipped: this.skip.count, examples: this.skip.examples };
  }

  /** Reads whole lines: a piece ends at a line end, or at the end of the input. */
  feed(input: Uint8Array): void {
    const buf = Buffer.from(input.buffer, input.byteOffset, input.length);
    const { littleEndian, sockets, v4Ids, v6Ids, skip } = this;
    const text = (start: number, end: number): string => Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');

    /** Decodes one address at the cursor (8 or 32 hex digits) into addressId; its family, or 0. */
    let addressId = 0;
    const words = [0, 0, 0, 0, 0, 0, 0, 0];
    const address = (c: Cursor): Family | 0 => {
      const n = c.hexRunLength();
      if (n === 8) {
        if (!c.hex(8)) return 0;
        const v = c.value;
        let id = v4Ids.get(v);
        if (id === undefined) {
          id = sockets.addressId(littleEndian ? ipv4Text(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24) : ipv4Text(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff));
          v4Ids.set(v, id);
        }
        addressId = id;
        return 4;
      }
      if (n === 32) {
        const key = text(c.pos, c.pos + 32);
        let id = v6Ids.get(key);
        for (let i = 0; i < 4; i++) {
          if (!c.hex(8)) return 0;
          const v = c.value;
          // The word was printed in host order; its bytes in memory order make two 16-bit words.
          if (littleEndian) {
            words[2 * i] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
            words[2 * i + 1] = (((v >>> 16) & 0xff) << 8) | (v >>> 24);
          } else {
            words[2 * i] = v >>> 16;
            words[2 * i + 1] = v & 0xffff;
          }
        }
        if (id === undefined) {
          id = sockets.addressId(ipv6Text(words));
          v6Ids.set(key, id);
        }
        addressId = id;
        return 6;
      }
      return 0;
    };

    let lineNo = this.lineNo;
    const c = new Cursor(buf);
    // A piece ends with its last line's '\n': no empty line after it.
    for (let start = 0; start < buf.length; ) {
      let end = buf.indexOf(NL, start);
      if (end < 0) end = buf.length;
      lineNo++;
      c.reset(start, end);
      const lineStart = start;
      start = end + 1;

      c.skipSpaces();
      if (c.pos === end) continue; // blank line
      // The header ("  sl  local_address ...") and anything else not starting "N:" is not a socket line.
      if (!c.decimal() || !c.expect(COLON)) {
        if (!/^\s*sl\s/.test(text(lineStart, Math.min(end, lineStart + 16)))) skip.add(lineNo, 'not a /proc/net/tcp line', text(lineStart, end));
        continue;
      }
      const bad = (why: string): void => skip.add(lineNo, why, text(lineStart, end));

      c.skipSpaces();
      const family = address(c);
      const localAddress = addressId;
      if (family === 0 || !c.expect(COLON) || !c.hex(4)) {
        bad('bad local address');
        continue;
      }
      const localPort = c.value;
      c.skipSpaces();
      if (address(c) !== family || !c.expect(COLON) || !c.hex(4)) {
        bad('bad remote address');
        continue;
      }
      const remotePort = c.value;
      c.skipSpaces();
      if (!c.hex(2)) {
        bad('bad state');
        continue;
      }
      const state = stateIndexOfCode(c.value);
      if (state < 0) {
        bad(`unknown state code ${c.value}`);
        continue;
      }
      // tx_queue:rx_queue (read for a listener only), tr:tm->when, retrnsmt, uid, timeout, then the inode.
      let ok = true;
      let queued = -1;
      if (state === LISTEN) {
        c.skipSpaces();
        ok = c.hex(8) && c.expect(COLON) && c.hex(8);
        queued = c.value;
      }
      for (let i = state === LISTEN ? 1 : 0; i < 5 && ok; i++) {
        c.skipSpaces();
        ok = c.skipWord();
      }
      c.skipSpaces();
      if (!ok || !c.decimal()) {
        bad('missing inode');
        continue;
      }
      const row = sockets.push(family, state, localAddress, localPort, addressId, remotePort, c.value);
      if (queued >= 0) sockets.listenQueues.set(row, { queued, backlog: null });
    }
    this.lineNo = lineNo;
  }
}
