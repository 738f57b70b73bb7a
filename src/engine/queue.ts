// The discrete-event queue: what happens next, in simulated time.
//
// Most timers in a TCP stack have a fixed delay (TIME_WAIT's 60 s, a link's one-way
// delay), so events scheduled with the same delay arrive in time order. Each such delay
// gets a FIFO lane (a ring buffer: O(1) push and pop); everything else goes to a binary
// heap. The next event is the earliest of the heap top and the lane heads. Ties are broken
// by insertion order (a global sequence number), so a run is fully deterministic.
//
// One-shot events (`at`, `after`, lanes) cannot be cancelled: a `Due` receives the token it
// was scheduled with and ignores a token it no longer expects (a stale entry). Timers that
// are re-armed or cancelled far more often than they fire (a socket's retransmission and
// delayed-ACK timers: every ACK moves or stops them) are `Timer`s instead. They are kept in
// buckets, one per distinct expiry time, like a timer wheel's slots: the kernel's timers fire
// on jiffy ticks, so article-lb's 1.8 M arms share ~100 000 times, a hundred or so pending at
// once. Arming appends to the bucket of its time and cancelling blanks its slot, both O(1);
// only a time with no bucket yet costs a push onto the small heap of bucket times. Within a
// bucket the order is the order armed.
// Only live timers are held, so a closed socket leaves nothing behind in the queue that
// would keep it alive.

import { IntMap } from './intmap.js';
import type { Micros } from './time.js';

/** Something that can be woken at a simulated time. */
export interface Due {
  fire(now: Micros, token: number): void;
}

/**
 * Receives the items of a lane that has one handler for all its entries (so the items need
 * not know who handles them: a timewait socket carries no pointer back to its host).
 */
export interface LaneHandler {
  fireItem(now: Micros, item: object, token: number): void;
}

/** A FIFO of events that all share one fixed delay, hence arrive in time order. */
export class Lane {
  private times: Float64Array;
  private seqs: Float64Array;
  private tokens: Int32Array;
  private dues: (object | undefined)[];
  private head = 0;
  private count = 0;
  /** Time and sequence number of the head entry (Infinity when empty): read by the queue's hot loop. */
  headTime = Infinity;
  headSeq = Infinity;

  constructor(
    private readonly queue: EventQueue,
    readonly delay: Micros,
    /** With a handler, entries are plain items handed to it; without, they are Dues. */
    readonly handler: LaneHandler | null = null,
    capacity = 1024,
  ) {
    this.times = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.tokens = new Int32Array(capacity);
    this.dues = new Array<object | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Schedule `due` (an item, on a lane with a handler) at now + delay. */
  push(due: object, token: number): void {
    this.pushAt(this.queue.now + this.delay, due, token);
  }

  /** Schedule `due` at an explicit time, which must not be earlier than the last one pushed. */
  pushAt(time: Micros, due: object, token: number): void {
    const cap = this.times.length;
    if (this.count > 0) {
      // (No `%`: an integer division costs tens of cycles, and every segment comes through here.)
      let l = this.head + this.count - 1;
      if (l >= cap) l -= cap;
      const last = this.times[l]!;
      if (time < last) throw new Error(`lane ${this.delay}: time ${time} before ${last}`);
    }
    if (this.count === cap) this.grow();
    let i = this.head + this.count;
    if (i >= this.times.length) i -= this.times.length;
    const seq = this.queue.nextSeq();
    this.times[i] = time;
    this.seqs[i] = seq;
    this.tokens[i] = token;
    this.dues[i] = due;
    if (this.count++ === 0) {
      this.headTime = time;
      this.headSeq = seq;
    }
  }

  /** @internal The head entry's token (its time is headTime). */
  headToken(): number {
    return this.tokens[this.head]!;
  }

  /** @internal Remove the head entry and return what it holds. */
  shift(): object {
    const i = this.head;
    const due = this.dues[i]!;
    this.dues[i] = undefined;
    this.head = i + 1 === this.times.length ? 0 : i + 1;
    if (--this.count === 0) {
      this.headTime = Infinity;
      this.headSeq = Infinity;
    } else {
      this.headTime = this.times[this.head]!;
      this.headSeq = this.seqs[this.head]!;
    }
    return due;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const times = new Float64Array(cap);
    const seqs = new Float64Array(cap);
    const tokens = new Int32Array(cap);
    const dues = new Array<object | undefined>(cap);
    for (let k = 0; k < this.count; k++) {
      const j = (this.head + k) % this.times.length;
      times[k] = this.times[j]!;
      seqs[k] = this.seqs[j]!;
      tokens[k] = this.tokens[j]!;
      dues[k] = this.dues[j];
    }
    this.times = times;
    this.seqs = seqs;
    this.tokens = tokens;
    this.dues = dues;
    this.head = 0;
  }
}

/**
 * A re-armable timer of `owner`: at most one pending firing, which `EventQueue.arm` sets or
 * moves and `EventQueue.disarm` cancels. When it fires it is disarmed, then
 * `owner.fire(time, token)` runs.
 */
export class Timer {
  /** The bucket of its expiry time while armed, else null; `slot` is its place there. */
  bucket: TimerBucket | null = null;
  slot = 0;
  /** When it fires, and its sequence number for ties. */
  time: Micros = 0;
  seq = 0;

  constructor(
    readonly owner: Due,
    readonly token: number,
  ) {}

  get armed(): boolean {
    return this.bucket !== null;
  }
}

/** The timers armed for one time, in the order armed (null where one was cancelled or moved). */
class TimerBucket {
  /** Slots 0..length-1 are in use; beyond that only blanks (emptied buckets are reused in place:
   *  `timers.length = 0` is a slow runtime call in V8). */
  readonly timers: (Timer | null)[] = [];
  length = 0;
  /** The first slot not yet fired or found blank. */
  head = 0;
  /** Timers still in it. */
  live = 0;
  constructor(public time: Micros) {}
}

export class EventQueue {
  /** The current simulated time. Only the queue advances it. */
  now: Micros = 0;
  /** Events fired so far. */
  fired = 0;

  private seq = 0;
  // Binary heap as parallel arrays, ordered by (time, seq).
  private readonly hTime: number[] = [];
  private readonly hSeq: number[] = [];
  private readonly hToken: number[] = [];
  private readonly hDue: Due[] = [];
  private readonly lanes: Lane[] = [];
  /** Armed timers: a bucket per expiry time, and a binary heap of the buckets by time. */
  private readonly buckets = new IntMap<TimerBucket>();
  private readonly bucketHeap: TimerBucket[] = [];
  private liveTimers = 0;
  /** Buckets whose time has passed, for reuse: a run goes through ~100 000 of them. */
  private readonly spareBuckets: TimerBucket[] = [];

  /** @internal */ nextSeq(): number {
    return this.seq++;
  }

  /**
   * A new FIFO lane for events that all wait `delay` and so arrive in the order pushed. Its
   * owner keeps it: a link delay (the Network), or a fixed timer length on one host's timer
   * wheel, which rounds to that host's own tick boundaries.
   */
  lane(delay: Micros, handler: LaneHandler | null = null): Lane {
    if (!Number.isInteger(delay) || delay < 0) throw new Error(`lane delay must be a whole number of microseconds >= 0, got ${delay}`);
    const lane = new Lane(this, delay, handler);
    this.lanes.push(lane);
    return lane;
  }

  /** Schedule `due` at absolute time `time` (not in the past). */
  at(time: Micros, due: Due, token: number): void {
    if (!(time >= this.now)) throw new Error(`cannot schedule at ${time}: now is ${this.now}`);
    const t = this.hTime;
    const s = this.hSeq;
    const k = this.hToken;
    const d = this.hDue;
    const seq = this.seq++;
    let i = t.length;
    t.push(time);
    s.push(seq);
    k.push(token);
    d.push(due);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = t[p]!;
      if (pt < time || (pt === time && s[p]! < seq)) break;
      t[i] = pt;
      s[i] = s[p]!;
      k[i] = k[p]!;
      d[i] = d[p]!;
      i = p;
    }
    t[i] = time;
    s[i] = seq;
    k[i] = token;
    d[i] = due;
  }

  /** Schedule `due` `delay` from now. */
  after(delay: Micros, due: Due, token: number): void {
    this.at(this.now + delay, due, token);
  }

  /**
   * Arm `timer` to fire at `time` (not in the past), or move it there if it is armed. Either
   * way it is ordered as if scheduled now: among equal times, after everything scheduled before.
   */
  arm(timer: Timer, time: Micros): void {
    if (!(time >= this.now)) throw new Error(`cannot arm a timer at ${time}: now is ${this.now}`);
    const current = timer.bucket;
    if (current !== null && current.time === time && timer.slot === current.length - 1) {
      // Already the last armed for that time (an RTO re-armed by each ACK often lands on the
      // same tick): a new sequence number keeps it last, without a new slot.
      timer.seq = this.seq++;
      return;
    }
    this.disarm(timer);
    let bucket = this.buckets.get(time);
    if (bucket === undefined) {
      bucket = this.spareBuckets.pop();
      if (bucket === undefined) bucket = new TimerBucket(time);
      else bucket.time = time;
      this.buckets.set(time, bucket);
      this.bucketPush(bucket);
    }
    timer.time = time;
    timer.seq = this.seq++;
    timer.bucket = bucket;
    const slot = bucket.length++;
    timer.slot = slot;
    if (slot < bucket.timers.length) bucket.timers[slot] = timer;
    else bucket.timers.push(timer);
    bucket.live++;
    this.liveTimers++;
  }

  /** Cancel `timer` if it is armed. */
  disarm(timer: Timer): void {
    const bucket = timer.bucket;
    if (bucket === null) return;
    bucket.timers[timer.slot] = null;
    timer.bucket = null;
    this.liveTimers--;
    // An emptied bucket stays in the heap (and the map, for timers armed at its time
    // later) until it reaches the top; its slots can be reused now.
    if (--bucket.live === 0) {
      bucket.length = 0;
      bucket.head = 0;
    }
  }

  /** The armed timer that fires first (empty buckets at the top are dropped), or null. */
  private timerTop(): Timer | null {
    const heap = this.bucketHeap;
    for (;;) {
      const bucket = heap[0];
      if (bucket === undefined) return null;
      if (bucket.live > 0) {
        const timers = bucket.timers;
        let i = bucket.head;
        while (timers[i] === null) i++;
        bucket.head = i;
        return timers[i]!;
      }
      this.buckets.delete(bucket.time);
      this.bucketPop();
      // Empty (all its slots blank, length 0): kept for a later time, with its array's room.
      this.spareBuckets.push(bucket);
    }
  }

  private bucketPush(b: TimerBucket): void {
    const h = this.bucketHeap;
    let i = h.length;
    h.push(b);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pb = h[p]!;
      if (pb.time < b.time) break;
      h[i] = pb;
      i = p;
    }
    h[i] = b;
  }

  private bucketPop(): void {
    const h = this.bucketHeap;
    const last = h.pop()!;
    const n = h.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]!.time < h[l]!.time ? r : l;
      if (h[c]!.time > last.time) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }

  /** Number of entries waiting, stale ones included. */
  get pending(): number {
    let n = this.hTime.length + this.liveTimers;
    for (const lane of this.lanes) n += lane.size;
    return n;
  }

  /** Time of the next event, or Infinity. */
  peekTime(): number {
    let best = this.hTime.length > 0 ? this.hTime[0]! : Infinity;
    const top = this.timerTop();
    if (top !== null && top.time < best) best = top.time;
    for (const lane of this.lanes) if (lane.headTime < best) best = lane.headTime;
    return best;
  }

  /**
   * Fire events in order while their time is <= `until`; `now` ends at `until`
   * (or where `stop()` returned true). Returns the number of events fired.
   */
  runUntil(until: Micros, stop?: () => boolean): number {
    const start = this.fired;
    for (;;) {
      // Earliest of the heap top and every lane head, ties to the lower sequence number.
      let bestTime = this.hTime.length > 0 ? this.hTime[0]! : Infinity;
      let bestSeq = this.hTime.length > 0 ? this.hSeq[0]! : Infinity;
      let bestLane: Lane | null = null;
      let bestTimer: Timer | null = null;
      const top = this.liveTimers > 0 ? this.timerTop() : null;
      if (top !== null && (top.time < bestTime || (top.time === bestTime && top.seq < bestSeq))) {
        bestTime = top.time;
        bestSeq = top.seq;
        bestTimer = top;
      }
      const lanes = this.lanes;
      for (let li = 0; li < lanes.length; li++) {
        const lane = lanes[li]!;
        const lt = lane.headTime;
        if (lt < bestTime || (lt === bestTime && lane.headSeq < bestSeq)) {
          bestTime = lt;
          bestSeq = lane.headSeq;
          bestLane = lane;
        }
      }
      if (bestTime > until || bestTime === Infinity) break;
      if (bestLane === null && bestTimer !== null) {
        this.disarm(bestTimer);
        this.now = bestTime;
        this.fired++;
        bestTimer.owner.fire(bestTime, bestTimer.token);
        if (stop !== undefined && stop()) return this.fired - start;
        continue;
      }
      // (Time, token and due go straight to the callee: parking the due in a long-lived
      // object would cost a write barrier per event.)
      this.now = bestTime;
      this.fired++;
      if (bestLane !== null) {
        const token = bestLane.headToken();
        const due = bestLane.shift();
        const handler = bestLane.handler;
        if (handler !== null) handler.fireItem(bestTime, due, token);
        else (due as Due).fire(bestTime, token);
      } else {
        const token = this.hToken[0]!;
        const due = this.hDue[0]!;
        this.popHeap();
        due.fire(bestTime, token);
      }
      if (stop !== undefined && stop()) return this.fired - start;
    }
    if (until !== Infinity && until > this.now) this.now = until;
    return this.fired - start;
  }

  /** Remove the heap's top entry. */
  private popHeap(): void {
    const t = this.hTime;
    const s = this.hSeq;
    const k = this.hToken;
    const d = this.hDue;
    const lastT = t.pop()!;
    const lastS = s.pop()!;
    const lastK = k.pop()!;
    const lastD = d.pop()!;
    const n = t.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (t[r]! < t[l]! || (t[r] === t[l] && s[r]! < s[l]!))) c = r;
      if (t[c]! > lastT || (t[c] === lastT && s[c]! > lastS)) break;
      t[i] = t[c]!;
      s[i] = s[c]!;
      k[i] = k[c]!;
      d[i] = d[c]!;
      i = c;
    }
    t[i] = lastT;
    s[i] = lastS;
    k[i] = lastK;
    d[i] = lastD;
  }
}
