import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventQueue, Timer } from './queue.js';
import type { Due } from './queue.js';
import { Rng } from './rng.js';

/** Records (time, label) of every firing. */
function recorder(): { fired: string[]; due: (label: string) => Due } {
  const fired: string[] = [];
  return { fired, due: (label) => ({ fire: (now) => fired.push(`${now}:${label}`) }) };
}

describe('EventQueue', () => {
  it('fires in time order across the heap and the lanes', () => {
    const q = new EventQueue();
    const r = recorder();
    q.at(30, r.due('heap30'), 0);
    q.lane(10).push(r.due('lane10'), 0);
    q.lane(25).push(r.due('lane25'), 0);
    q.at(5, r.due('heap5'), 0);
    q.runUntil(100);
    assert.deepEqual(r.fired, ['5:heap5', '10:lane10', '25:lane25', '30:heap30']);
    assert.equal(q.now, 100);
  });

  it('breaks ties by insertion order, whichever structure holds the event', () => {
    const q = new EventQueue();
    const r = recorder();
    const lane = q.lane(10);
    lane.push(r.due('a'), 0);
    q.at(10, r.due('b'), 0);
    lane.push(r.due('c'), 0);
    q.at(10, r.due('d'), 0);
    q.runUntil(10);
    assert.deepEqual(r.fired, ['10:a', '10:b', '10:c', '10:d']);
  });

  it('passes the token back, so a re-armed timer can ignore its stale entry', () => {
    const q = new EventQueue();
    let gen = 0;
    const fired: number[] = [];
    const timer: Due = { fire: (now, token) => (token === gen ? fired.push(now) : undefined) };
    q.at(10, timer, ++gen);
    q.at(20, timer, ++gen); // re-arm: the entry at 10 is now stale
    q.runUntil(100);
    assert.deepEqual(fired, [20]);
  });

  it('events scheduled while firing run in the same pass when due', () => {
    const q = new EventQueue();
    const r = recorder();
    q.at(1, { fire: (now) => q.at(now, r.due('same-time'), 0) }, 0);
    q.runUntil(1);
    assert.deepEqual(r.fired, ['1:same-time']);
  });

  it('matches a sorted reference on 20 000 random events (heap + lanes, growth included)', () => {
    const q = new EventQueue();
    const rng = new Rng(42);
    const lanes = new Map([100, 1000, 60_000].map((d) => [d, q.lane(d)]));
    const expected: [number, number][] = [];
    const got: number[] = [];
    let seq = 0;
    // Schedule in rounds so lanes see non-decreasing times as they require.
    for (let round = 0; round < 20; round++) {
      const now = q.now;
      for (let i = 0; i < 1000; i++) {
        const id = seq++;
        const due: Due = { fire: () => got.push(id) };
        if (rng.below(2) === 0) {
          const d = [100, 1000, 60_000][rng.below(3)]!;
          lanes.get(d)!.push(due, 0);
          expected.push([now + d, id]);
        } else {
          const t = now + rng.below(100_000);
          q.at(t, due, 0);
          expected.push([t, id]);
        }
      }
      q.runUntil(q.now + 500);
    }
    q.runUntil(Infinity);
    expected.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    assert.deepEqual(got, expected.map((e) => e[1]));
  });

  it('refuses to schedule in the past', () => {
    const q = new EventQueue();
    q.runUntil(100);
    assert.throws(() => q.at(50, { fire: () => undefined }, 0), /cannot schedule/);
  });
});

describe('Timer', () => {
  it('fires once at its last armed time; moved earlier or later, it keeps one entry', () => {
    const q = new EventQueue();
    const r = recorder();
    const t = new Timer(r.due('t'), 0);
    q.arm(t, 50);
    q.arm(t, 80); // later
    q.arm(t, 20); // earlier
    q.arm(t, 40);
    assert.equal(q.pending, 1);
    q.runUntil(100);
    assert.deepEqual(r.fired, ['40:t']);
    assert.equal(t.armed, false);
  });

  it('a disarmed timer never fires and leaves nothing in the queue', () => {
    const q = new EventQueue();
    const r = recorder();
    const timers = Array.from({ length: 5 }, (_, i) => new Timer(r.due(`t${i}`), i));
    timers.forEach((t, i) => q.arm(t, 10 * (i + 1)));
    q.disarm(timers[2]!);
    q.disarm(timers[0]!);
    q.disarm(timers[0]!); // twice is harmless
    assert.equal(q.pending, 3);
    q.runUntil(100);
    assert.deepEqual(r.fired, ['20:t1', '40:t3', '50:t4']);
    assert.equal(q.pending, 0);
  });

  it('ties with one-shot events and lanes go by when each was (re-)armed, as if scheduled then', () => {
    const q = new EventQueue();
    const r = recorder();
    const t = new Timer(r.due('timer'), 0);
    q.arm(t, 10);
    q.at(10, r.due('heap'), 0);
    q.lane(10).push(r.due('lane'), 0);
    q.arm(t, 10); // re-armed after both: now fires last among equals
    q.runUntil(10);
    assert.deepEqual(r.fired, ['10:heap', '10:lane', '10:timer']);
  });

  it('keeps order through random arms, moves and cancels: by time, then by when last armed (against a sorted model)', () => {
    const q = new EventQueue();
    const rng = new Rng(3);
    const fired: string[] = [];
    const timers = Array.from({ length: 200 }, (_, i) => new Timer({ fire: (now) => fired.push(`${now}:${i}`) }, i));
    // Timer -> [time, step of its last arm]; few distinct times, so many ties.
    const expected = new Map<number, [number, number]>();
    let arms = 0;
    const run = (steps: number, from: number, span: number): void => {
      for (let step = 0; step < steps; step++) {
        const i = rng.below(timers.length);
        if (rng.below(4) === 0) {
          q.disarm(timers[i]!);
          expected.delete(i);
        } else {
          const at = from + rng.below(span);
          q.arm(timers[i]!, at);
          expected.set(i, [at, arms++]);
        }
      }
    };
    const order = (): string[] => [...expected].sort((a, b) => a[1][0] - b[1][0] || a[1][1] - b[1][1]).map(([i, [at]]) => `${at}:${i}`);
    run(5000, 0, 30);
    let want = order();
    q.runUntil(1000);
    assert.deepEqual(fired, want);
    assert.equal(q.pending, 0);
    // Again, into times whose buckets were emptied and dropped.
    fired.length = 0;
    expected.clear();
    run(3000, 1000, 30);
    want = order();
    q.runUntil(2000);
    assert.deepEqual(fired, want);
  });

  it('refuses a time in the past', () => {
    const q = new EventQueue();
    q.runUntil(100);
    assert.throws(() => q.arm(new Timer({ fire: () => undefined }, 0), 50), /cannot arm/);
  });
});

describe('Rng', () => {
  it('the same seed gives the same sequence; forks are independent and stable', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 5 }, () => a.u32());
    assert.deepEqual(xs, Array.from({ length: 5 }, () => b.u32()));
    assert.notDeepEqual(xs, Array.from({ length: 5 }, () => new Rng(8).u32()));
    const f1 = new Rng(7).fork('host:a').u32();
    const f2 = new Rng(7).fork('host:a').u32();
    assert.equal(f1, f2);
    assert.notEqual(new Rng(7).fork('host:a').u32(), new Rng(7).fork('host:b').u32());
  });

  it('below(n) stays in range and covers it', () => {
    const r = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const x = r.below(8);
      assert.ok(x >= 0 && x < 8);
      seen.add(x);
    }
    assert.equal(seen.size, 8);
  });
});
