// The connect() port search (inet_hashtables.c __inet_hash_connect): order, parity, skips,
// probes, and the bitmap fast path agreeing with the port-by-port scan.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../engine/rng.js';
import { BindTable, INET_TABLE_PERTURB_SIZE, PortSet, REUSEADDR, REUSEPORT, searchEphemeralPort } from './ports.js';
import type { PortProbe } from './ports.js';

function probe(busy: PortSet, opts: { reserved?: PortSet; bindOwned?: PortSet; oneByOne?: boolean } = {}): PortProbe {
  return {
    reserved: opts.reserved ?? null,
    bindOwned: opts.bindOwned ?? new PortSet(),
    busy,
    reuseMayApply: opts.oneByOne ?? false,
    takeBusy: () => false,
  };
}

/** Fill ports one connect() at a time, as a client with no reuse does. */
function fill(range: [number, number], n: number, seed = 1): { ports: number[]; probes: number[] } {
  const busy = new PortSet();
  const perturb = new Uint32Array(INET_TABLE_PERTURB_SIZE);
  const rng = new Rng(seed);
  const ports: number[] = [];
  const probes: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = searchEphemeralPort(range, 12345, 67890, perturb, () => rng.below(8), probe(busy));
    ports.push(r.port);
    probes.push(r.probes);
    if (r.port !== 0) busy.add(r.port);
  }
  return { ports, probes };
}

describe('ephemeral port search (__inet_hash_connect)', () => {
  it('ports of the low end\'s parity first: with an even low end, the first half are all even', () => {
    const { ports } = fill([40000, 40499], 500);
    assert.ok(ports.slice(0, 250).every((p) => p % 2 === 0));
    assert.ok(ports.slice(250).every((p) => p % 2 === 1));
    assert.equal(new Set(ports).size, 500);
  });

  it('an odd low end makes odd ports come first', () => {
    const { ports } = fill([40001, 40500], 10);
    assert.ok(ports.every((p) => p % 2 === 1));
  });

  it('the range used up: port 0 (EADDRNOTAVAIL) after probing every candidate of both parities', () => {
    const { ports, probes } = fill([50000, 50099], 101);
    assert.equal(ports[100], 0);
    assert.equal(probes[100], 100);
  });

  it('once the even half is full, every connect probes the whole even half first (the CPU cost the article describes)', () => {
    const { probes } = fill([32768, 60999], 14200);
    assert.ok(probes[14116 + 10]! > 14116);
  });

  it('reserved ports are skipped and not counted (ip_local_reserved_ports)', () => {
    const reserved = new PortSet();
    for (let p = 40000; p <= 40499; p += 4) reserved.add(p);
    const perturb = new Uint32Array(INET_TABLE_PERTURB_SIZE);
    const busy = new PortSet();
    for (let i = 0; i < 375; i++) {
      const r = searchEphemeralPort([40000, 40499], 1, 2, perturb, () => 0, probe(busy, { reserved }));
      assert.ok(r.port !== 0 && !reserved.has(r.port));
      busy.add(r.port);
    }
    const last = searchEphemeralPort([40000, 40499], 1, 2, perturb, () => 0, probe(busy, { reserved }));
    assert.equal(last.port, 0);
    assert.equal(last.probes, 375);
  });

  it('ports whose bucket bind() created are skipped (tb->fastreuse >= 0)', () => {
    const bindOwned = new PortSet();
    for (let p = 40000; p < 40010; p++) bindOwned.add(p);
    const perturb = new Uint32Array(INET_TABLE_PERTURB_SIZE);
    const busy = new PortSet();
    const got = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const r = searchEphemeralPort([40000, 40015], 0, 0, perturb, () => 0, probe(busy, { bindOwned }));
      busy.add(r.port);
      got.add(r.port);
    }
    assert.deepEqual([...got].sort(), [40010, 40011, 40012, 40013, 40014, 40015]);
  });

  it('the bitmap scan and the port-by-port scan agree on port, probes and perturbation (randomised)', () => {
    const rng = new Rng(99);
    for (let trial = 0; trial < 300; trial++) {
      const low = 1024 + rng.below(60000);
      const high = Math.min(65535, low + 1 + rng.below(trial % 3 === 0 ? 200 : 3000));
      const busy = new PortSet();
      const reserved = new PortSet();
      const bindOwned = new PortSet();
      const density = rng.float();
      for (let p = low; p <= high; p++) {
        if (rng.float() < density) busy.add(p);
        if (rng.float() < 0.02) reserved.add(p);
        if (rng.float() < 0.02) bindOwned.add(p);
      }
      const hLo = rng.u32();
      const hHi = rng.u32();
      const p1 = new Uint32Array(INET_TABLE_PERTURB_SIZE);
      const p2 = new Uint32Array(INET_TABLE_PERTURB_SIZE);
      const a = searchEphemeralPort([low, high], hLo, hHi, p1, () => 3, probe(busy, { reserved, bindOwned }));
      const b = searchEphemeralPort([low, high], hLo, hHi, p2, () => 3, probe(busy, { reserved, bindOwned, oneByOne: true }));
      assert.deepEqual(a, b, `trial ${trial}: [${low}, ${high}]`);
      assert.deepEqual(p1, p2);
    }
  });
});

describe('bind table (inet_bind_bucket, inet_csk_bind_conflict)', () => {
  it('a bucket lives while it has owners', () => {
    const t = new BindTable();
    t.acquire(5000, 0, 'connect');
    t.acquire(5000, 0, 'connect');
    t.release(5000, 0);
    assert.ok(t.has(5000));
    t.release(5000, 0);
    assert.ok(!t.has(5000));
    assert.equal(t.size, 0);
  });

  it('bind() conflicts unless both sides have SO_REUSEADDR and the owner is not listening', () => {
    const t = new BindTable();
    t.acquire(80, REUSEADDR, 'bind');
    assert.ok(t.bindConflict(80, 0));
    assert.ok(!t.bindConflict(80, REUSEADDR));
    t.changeFlags(80, REUSEADDR, 0); // the owner listens
    assert.ok(t.bindConflict(80, REUSEADDR));
  });

  it('SO_REUSEPORT on both sides shares a port, listening or not', () => {
    const t = new BindTable();
    t.acquire(80, REUSEPORT, 'bind');
    assert.ok(t.bindConflict(80, REUSEADDR));
    assert.ok(!t.bindConflict(80, REUSEPORT));
    t.acquire(80, REUSEADDR, 'bind');
    assert.ok(t.bindConflict(80, REUSEPORT), 'the second owner has only SO_REUSEADDR');
    assert.ok(!t.bindConflict(80, REUSEADDR | REUSEPORT));
  });
});
