// The Network's routing: each hop's delay, the per-sender route cache, and its invalidation
// when the topology changes.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventQueue } from '../engine/queue.js';
import { Network } from './network.js';
import { ACK, Segment } from './segment.js';
import type { SegmentSink } from './segment.js';

/** A sink that records when each segment arrived. */
function recorder(): SegmentSink & { arrivals: [number, number][] } {
  const arrivals: [number, number][] = [];
  return { arrivals, receive: (seg, now) => arrivals.push([seg.sport, now]) };
}

const segment = (src: number, sport: number, dst: number): Segment => new Segment(src, sport, dst, 80, 1, 1, ACK, 1000, 0);

describe('Network routes', () => {
  it('delivers from one sender to 40 destinations (more than the cache has slots), each after its own link delay', () => {
    const q = new EventQueue();
    const net = new Network(q);
    const src = 0xc6120001; // 198.18.0.1, above 2^31 as an unsigned number
    net.attach(src, recorder());
    const sinks = Array.from({ length: 40 }, (_, i) => {
      const sink = recorder();
      const addr = 0xc6120100 + i * 256; // 40 destinations, 8 slots: five share each
      net.attach(addr, sink);
      net.link(src, addr, 10 + i);
      return { addr, sink, delay: 10 + i };
    });
    const routes = net.routesFrom(src);
    for (let round = 0; round < 3; round++) for (const [i, d] of sinks.entries()) net.sendFrom(segment(src, 1000 * round + i, d.addr), routes);
    q.runUntil(1000);
    for (const [i, d] of sinks.entries()) assert.deepEqual(d.sink.arrivals, [0, 1, 2].map((round) => [1000 * round + i, d.delay]));
  });

  it('a link added after segments flowed takes effect for the next segment (cached routes forgotten)', () => {
    const q = new EventQueue();
    const net = new Network(q, 50);
    const a = 0xc6120001;
    const b = 0xc6120002;
    const sink = recorder();
    net.attach(a, recorder());
    net.attach(b, sink);
    const routes = net.routesFrom(a);
    net.sendFrom(segment(a, 1, b), routes);
    net.sendFrom(segment(a, 2, b), routes);
    q.runUntil(100);
    net.link(a, b, 300);
    net.sendFrom(segment(a, 3, b), routes);
    net.send(segment(a, 4, b));
    q.runUntil(1000);
    assert.deepEqual(sink.arrivals, [[1, 50], [2, 50], [3, 400], [4, 400]]);
  });
});
