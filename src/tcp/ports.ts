// Local ports: the bind table (one bucket per port in use) and the ephemeral port search of
// connect() (inet_hashtables.c __inet_hash_connect, RFC 6056 algorithm 4 as Linux does it).

/**
 * A bind bucket (struct inet_bind_bucket): one per local port with any socket on it.
 * Timewait sockets keep their bucket reference, so their port stays taken.
 */
export interface BindBucket {
  readonly port: number;
  /** Sockets on the port: full and timewait. */
  owners: number;
  /** Owners with SO_REUSEADDR that are not listening: they do not conflict with a SO_REUSEADDR bind(). */
  reuseOwners: number;
  /**
   * tb->fastreuse: -1 when connect() created the bucket (the port search may share it with
   * other destinations); >= 0 when bind() or listen() created it (the search skips it).
   */
  readonly fastreuse: -1 | 0 | 1;
}

export class BindTable {
  private readonly buckets = new Map<number, BindBucket>();

  get(port: number): BindBucket | undefined {
    return this.buckets.get(port);
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Take a reference on `port`, creating its bucket (for connect() or for bind()). */
  acquire(port: number, reuse: boolean, createdBy: 'connect' | 'bind'): BindBucket {
    let b = this.buckets.get(port);
    if (b === undefined) {
      b = { port, owners: 0, reuseOwners: 0, fastreuse: createdBy === 'connect' ? -1 : reuse ? 1 : 0 };
      this.buckets.set(port, b);
    }
    b.owners++;
    if (reuse) b.reuseOwners++;
    return b;
  }

  /** Drop a reference; the bucket goes with its last owner (inet_bind_bucket_destroy). */
  release(port: number, reuse: boolean): void {
    const b = this.buckets.get(port);
    if (b === undefined) throw new Error(`release of unbound port ${port}`);
    b.owners--;
    if (reuse) b.reuseOwners--;
    if (b.owners === 0) this.buckets.delete(port);
  }

  /** An owner stops counting as "reuse, not listening" (listen() on a SO_REUSEADDR socket). */
  unmarkReuse(port: number): void {
    const b = this.buckets.get(port);
    if (b !== undefined) b.reuseOwners--;
  }

  /**
   * inet_connection_sock.c inet_csk_bind_conflict, for a host with one address: the port is
   * free for a bind() unless some owner conflicts. Owners conflict unless both the new socket
   * and the owner have SO_REUSEADDR and the owner is not listening (timewait sockets keep the
   * SO_REUSEADDR of the socket they came from).
   */
  bindConflict(port: number, reuse: boolean): boolean {
    const b = this.buckets.get(port);
    if (b === undefined) return false;
    if (!reuse) return true;
    return b.owners - b.reuseOwners > 0;
  }
}

/** What the connect() port search asks of the host about one candidate port. */
export interface PortProbe {
  /** ip_local_reserved_ports. */
  isReserved(port: number): boolean;
  /** The port's bind bucket, if any. */
  bucket(port: number): BindBucket | undefined;
  /**
   * __inet_check_established: true when the 4-tuple (ours, port, daddr, dport) is free,
   * possibly by reusing a TIME_WAIT (the callee performs the reuse).
   */
  tupleFree(port: number): boolean;
}

export interface PortSearchResult {
  /** The chosen port, or 0 when none is free (EADDRNOTAVAIL). */
  port: number;
  /** Candidate ports examined: the CPU cost of this connect(). */
  probes: number;
}

/** Linux's INET_TABLE_PERTURB_SIZE (inet_hashtables.c): 2^16 perturbation slots. */
export const INET_TABLE_PERTURB_SIZE = 1 << 16;

/**
 * The connect() port search (__inet_hash_connect).
 *
 * The start is a per-destination keyed hash (secure_ipv4_port_ephemeral) plus a perturbation
 * slot; the scan steps by 2 over ports of the low end's parity first (connect() leaves the
 * other parity to bind()), then over the other parity. Reserved ports and ports whose bucket
 * was created by bind()/listen() are skipped; every other candidate is checked against the
 * 4-tuple table. After a success the slot advances by the probes used plus a small random
 * amount, so consecutive connects to one destination walk the range.
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
  let offset = (perturb[index]! + hashHi) % remaining;
  // In the first pass try ports of low's parity (inet_csk_get_port makes the opposite choice).
  offset &= ~1;
  const step = 2;
  let probes = 0;
  for (;;) {
    let port = low + offset;
    for (let i = 0; i < remaining; i += step, port += step) {
      if (port >= high) port -= remaining;
      if (probe.isReserved(port)) continue;
      probes++;
      const b = probe.bucket(port);
      if (b !== undefined && b.fastreuse >= 0) continue; // bind()/listen() owns it
      if (b === undefined || probe.tupleFree(port)) {
        // A little randomness for the next search: large on low contention, none on high.
        const adv = Math.max(i, random8() * step);
        perturb[index] = (perturb[index]! + adv + step) >>> 0;
        return { port, probes };
      }
    }
    offset++;
    if ((offset & 1) !== 0 && remaining > 1) continue; // the other parity
    return { port: 0, probes };
  }
}
