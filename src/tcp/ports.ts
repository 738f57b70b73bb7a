// Local ports: the bind table (one bucket per port in use) and the ephemeral port search of
// connect() (inet_hashtables.c __inet_hash_connect, RFC 6056 algorithm 4 as Linux does it).
//
// This is a hot path: once a destination's ports are used up, Linux scans the whole range
// on every connect(). The model gives the same answer and the same probe count, but finds
// the first free candidate with bitmaps a word at a time instead of probing port by port.

const EVEN = 0x55555555;
const ODD = 0xaaaaaaaa | 0;

/**
 * A set of ports 0..65535 as a bitmap, with a summary of which 32-port words have all their
 * even (or all their odd) ports in the set, so a search can skip 1024 taken ports at a time.
 */
export class PortSet {
  readonly bits = new Uint32Array(65536 / 32);
  /** Bit w: every even-numbered port of word w is in the set; likewise for odd. */
  readonly evenFull = new Uint32Array(65536 / 32 / 32);
  readonly oddFull = new Uint32Array(65536 / 32 / 32);
  has(port: number): boolean {
    return (this.bits[port >>> 5]! & (1 << (port & 31))) !== 0;
  }
  add(port: number): void {
    const w = port >>> 5;
    this.bits[w]! |= 1 << (port & 31);
    this.summarise(w);
  }
  delete(port: number): void {
    const w = port >>> 5;
    this.bits[w]! &= ~(1 << (port & 31));
    this.summarise(w);
  }
  private summarise(w: number): void {
    const v = this.bits[w]! | 0;
    const bit = 1 << (w & 31);
    if ((v & EVEN) === EVEN) this.evenFull[w >>> 5]! |= bit;
    else this.evenFull[w >>> 5]! &= ~bit;
    if ((v & ODD) === ODD) this.oddFull[w >>> 5]! |= bit;
    else this.oddFull[w >>> 5]! &= ~bit;
  }
}

/** How an owner of a port lets others share it: SO_REUSEADDR (not while listening) and SO_REUSEPORT. */
export const REUSEADDR = 1;
export const REUSEPORT = 2;

/**
 * The bind hash (struct inet_bind_bucket per port), as arrays indexed by port. Timewait
 * sockets keep their bucket reference, so their port stays taken.
 */
export class BindTable {
  /** Sockets on the port: full and timewait. */
  private readonly owners = new Int32Array(65536);
  /** Owners registered with REUSEADDR, with REUSEPORT, and with both. */
  private readonly nAddr = new Int32Array(65536);
  private readonly nPort = new Int32Array(65536);
  private readonly nBoth = new Int32Array(65536);
  /**
   * Ports whose bucket bind() or listen() created (tb->fastreuse >= 0): the connect() search
   * skips them. A bucket connect() created (fastreuse = -1) may be shared across destinations.
   */
  readonly bindOwned = new PortSet();
  private count = 0;
  /** The most ports ever in use at once. */
  peak = 0;

  /** Ports with a bucket. */
  get size(): number {
    return this.count;
  }

  has(port: number): boolean {
    return this.owners[port]! > 0;
  }

  ownerCount(port: number): number {
    return this.owners[port]!;
  }

  /** Take a reference on `port` with sharing `flags`, creating its bucket if needed. */
  acquire(port: number, flags: number, createdBy: 'connect' | 'bind'): void {
    if (this.owners[port] === 0) {
      if (++this.count > this.peak) this.peak = this.count;
      if (createdBy === 'bind') this.bindOwned.add(port);
    }
    this.owners[port]!++;
    this.count3(port, flags, 1);
  }

  /** Drop a reference taken with `flags`; the bucket goes with its last owner (inet_bind_bucket_destroy). */
  release(port: number, flags: number): void {
    if (this.owners[port]! <= 0) throw new Error(`release of unbound port ${port}`);
    this.owners[port]!--;
    this.count3(port, flags, -1);
    if (this.owners[port] === 0) {
      this.count--;
      this.bindOwned.delete(port);
    }
  }

  /** An owner's sharing changes (listen() withdraws SO_REUSEADDR's leniency). */
  changeFlags(port: number, from: number, to: number): void {
    this.count3(port, from, -1);
    this.count3(port, to, 1);
  }

  private count3(port: number, flags: number, d: number): void {
    if (flags & REUSEADDR) this.nAddr[port]! += d;
    if (flags & REUSEPORT) this.nPort[port]! += d;
    if ((flags & (REUSEADDR | REUSEPORT)) === (REUSEADDR | REUSEPORT)) this.nBoth[port]! += d;
  }

  /**
   * inet_connection_sock.c inet_csk_bind_conflict, for a host with one address: a bind()
   * with `flags` conflicts with an owner unless both have SO_REUSEADDR and the owner is not
   * listening, or both have SO_REUSEPORT (same user assumed). Timewait sockets keep the
   * flags of the socket they came from.
   */
  bindConflict(port: number, flags: number): boolean {
    const owners = this.owners[port]!;
    if (owners === 0) return false;
    const a = flags & REUSEADDR ? this.nAddr[port]! : 0;
    const p = flags & REUSEPORT ? this.nPort[port]! : 0;
    const both = flags & REUSEADDR && flags & REUSEPORT ? this.nBoth[port]! : 0;
    return owners - (a + p - both) > 0;
  }
}

/** What the connect() port search needs to know about one destination. */
export interface PortProbe {
  /** ip_local_reserved_ports, or null when there are none. */
  reserved: PortSet | null;
  /** Ports bind()/listen() own. */
  bindOwned: PortSet;
  /** Ports with a socket (full, request or timewait) to this destination. */
  busy: PortSet;
  /** Whether a TIME_WAIT to this destination could be reused at all (tcp_tw_reuse, timestamps). */
  reuseMayApply: boolean;
  /**
   * For a busy port: __inet_check_established says the 4-tuple can be taken anyway (a
   * reusable TIME_WAIT; the callee performs the reuse).
   */
  takeBusy(port: number): boolean;
}

export interface PortSearchResult {
  /** The chosen port, or 0 when none is free (EADDRNOTAVAIL). */
  port: number;
  /** Candidate ports examined, reserved ones not counted: the CPU cost of this connect(). */
  probes: number;
}

/** Linux's INET_TABLE_PERTURB_SIZE (inet_hashtables.c): 2^16 perturbation slots. */
export const INET_TABLE_PERTURB_SIZE = 1 << 16;

/**
 * The connect() port search (__inet_hash_connect).
 *
 * The start is a per-destination keyed hash (secure_ipv4_port_ephemeral) plus a perturbation
 * slot; the scan steps by 2 over ports of the low end's parity first (connect() leaves the
 * other parity to bind()), then over the other parity, wrapping around the range. Reserved
 * ports and ports whose bucket bind()/listen() created are skipped; every other candidate is
 * checked against the 4-tuple table. After a success the slot advances by the candidates
 * passed plus a small random amount, so consecutive connects to one destination walk the range.
 */
export function searchEphemeralPort(
  range: readonly [number, number],
  /** The 64-bit secure_ipv4_port_ephemeral hash as two halves: slot index from the low, offset from the high. */
  hashLo: number,
  hashHi: number,
  perturb: Uint32Array,
  random8: () => number,
  probe: PortProbe,
): PortSearchResult {
  const low = range[0];
  const high = range[1] + 1;
  let remaining = high - low;
  if (remaining > 1) remaining &= ~1;
  const index = hashLo & (INET_TABLE_PERTURB_SIZE - 1);
  // In the first pass try ports of low's parity (inet_csk_get_port makes the opposite choice).
  let offset = (((perturb[index]! + hashHi) >>> 0) % remaining) & ~1;
  let probes = 0;
  for (let pass = 0; pass < 2; pass++, offset++) {
    if (pass === 1 && remaining <= 1) break;
    const found = scan(low + offset, high, remaining, 2, probe);
    probes += found.probes;
    if (found.port !== 0) {
      // A little randomness for the next search: large on low contention, none on high.
      const step = 2;
      const adv = Math.max(found.index, random8() * step);
      perturb[index] = (perturb[index]! + adv + step) >>> 0;
      return { port: found.port, probes };
    }
  }
  return { port: 0, probes };
}

/**
 * The connect() port search before Linux 4.6 (inet_hashtables.c __inet_hash_connect of 4.4):
 * one host-wide hint plus a per-destination hash offset, every port in turn (no parity
 * split); the hint advances by the number of candidates passed.
 */
export function searchSequentialPort(range: readonly [number, number], portOffset: number, hint: { value: number }, probe: PortProbe): PortSearchResult {
  const low = range[0];
  const high = range[1] + 1;
  const remaining = high - low;
  const offset = (hint.value + portOffset) >>> 0;
  const found = scan(low + ((1 + offset) % remaining), high, remaining, 1, probe);
  if (found.port !== 0) hint.value = (hint.value + found.index + 1) >>> 0; // i is 1-based there
  return { port: found.port, probes: found.probes };
}

interface PassResult {
  port: number;
  probes: number;
  /** Loop index at the chosen port: `step` per candidate passed, reserved ones included. */
  index: number;
}

/**
 * One pass over `remaining / step` candidates start, start+step, ..., where a port at or
 * beyond `high` wraps down by `remaining` (exactly Linux's loop; with an odd-sized range the
 * last port can be a candidate and the first not).
 */
function scan(start: number, high: number, remaining: number, step: 1 | 2, probe: PortProbe): PassResult {
  return probe.reuseMayApply ? scanOneByOne(start, high, remaining, step, probe) : scanBitmaps(start, high, remaining, step, probe);
}

/** Candidate by candidate, for when TIME_WAITs may be reused (reusability depends on each one's age). */
function scanOneByOne(start: number, high: number, remaining: number, step: 1 | 2, probe: PortProbe): PassResult {
  let probes = 0;
  for (let i = 0, port = start; i < remaining; i += step, port += step) {
    if (port >= high) port -= remaining;
    if (probe.reserved?.has(port)) continue;
    probes++;
    if (probe.bindOwned.has(port)) continue;
    if (!probe.busy.has(port) || probe.takeBusy(port)) return { port, probes, index: i };
  }
  return { port: 0, probes, index: 0 };
}

/** With bitmaps: the first candidate that is neither reserved, bind-owned nor busy, found a word at a time. */
function scanBitmaps(start: number, high: number, remaining: number, step: 1 | 2, probe: PortProbe): PassResult {
  const total = Math.ceil(remaining / step);
  // The candidates are two runs: [start, high) and, after the wrap, `rest` more from `wrapAt`.
  const first = Math.min(total, Math.ceil((high - start) / step));
  const firstEnd = start + first * step;
  const wrapAt = firstEnd - remaining;
  const rest = total - first;
  const wrapEnd = wrapAt + rest * step;
  let port = firstFree(start, firstEnd, step, probe);
  let passed: number; // candidates before the chosen one, in scan order
  let reservedBefore: number;
  if (port !== 0) {
    passed = (port - start) / step;
    reservedBefore = reservedIn(start, port, step, probe);
  } else {
    port = rest > 0 ? firstFree(wrapAt, wrapEnd, step, probe) : 0;
    if (port === 0) {
      return { port: 0, probes: total - reservedIn(start, firstEnd, step, probe) - reservedIn(wrapAt, wrapEnd, step, probe), index: 0 };
    }
    passed = first + (port - wrapAt) / step;
    reservedBefore = reservedIn(start, firstEnd, step, probe) + reservedIn(wrapAt, port, step, probe);
  }
  return { port, probes: passed - reservedBefore + 1, index: passed * step };
}

/** First candidate p in [from, to) (every port, or every other one from `from`) that is not reserved, bind-owned or busy; 0 if none. */
function firstFree(from: number, to: number, step: 1 | 2, probe: PortProbe): number {
  if (from >= to) return 0;
  const busy = probe.busy.bits;
  const owned = probe.bindOwned.bits;
  const reserved = probe.reserved?.bits;
  const stepMask = step === 1 ? 0xffffffff : (from & 1) === 0 ? 0x55555555 : 0xaaaaaaaa;
  // Words whose candidates are all busy can be skipped without looking (busy is a subset of taken).
  const full1 = step === 1 || (from & 1) === 0 ? probe.busy.evenFull : probe.busy.oddFull;
  const full2 = step === 1 ? probe.busy.oddFull : full1;
  const last = (to - 1) >>> 5;
  for (let w = from >>> 5; w <= last; w++) {
    if ((w & 31) === 0 && w + 31 <= last && (full1[w >>> 5]! & full2[w >>> 5]!) === -1) {
      w += 31; // 32 words, 1024 ports, all taken
      continue;
    }
    if ((full1[w >>> 5]! & full2[w >>> 5]! & (1 << (w & 31))) !== 0) continue;
    let taken = busy[w]! | owned[w]!;
    if (reserved !== undefined) taken |= reserved[w]!;
    let free = ~taken & stepMask;
    const base = w << 5;
    if (base < from) free &= ~0 << (from - base);
    const n = to - base;
    if (n < 32) free &= (1 << n) - 1;
    if (free !== 0) return base + (31 - Math.clz32(free & -free));
  }
  return 0;
}

/** Reserved candidates in [from, to), stepping from `from`. */
function reservedIn(from: number, to: number, step: number, probe: PortProbe): number {
  if (probe.reserved === null || from >= to) return 0;
  let n = 0;
  for (let p = from; p < to; p += step) if (probe.reserved.has(p)) n++;
  return n;
}
