// The floor under the simulator's per-event cost: the engine's own parts, with no TCP in them.
// Each event pops a segment from a lane (EventQueue, as a link delay does), finds its socket
// in a ConnTable, updates a few fields, cancels and re-arms the socket's timer on a jiffy,
// allocates a new Segment and pushes it onto the lane: what every segment delivery costs
// before any TCP rule runs. It answers "how fast could the model be with the same engine",
// which the speed goal of article-lb (100x real time: ~275 ns per event) is judged against.
//
//   node dist/bench/floor.js [EVENTS] [SOCKETS]      (after npm run build)
//
// SOCKETS sets how many sockets the segments visit at random: article-lb touches a few
// hundred live connections at a time (and each of its ~60 000 TIME_WAIT sockets twice).

import { performance } from 'node:perf_hooks';
import { EventQueue, Timer, type Due, type LaneHandler } from '../src/engine/queue.js';
import { ConnTable } from '../src/tcp/conntable.js';
import { ACK, Segment } from '../src/net/segment.js';
import { tuneV8ForSimulation } from '../src/cli/v8-tuning.js';

tuneV8ForSimulation();

/** article-lb's events per simulated second (3 267 311 in 90 s). */
const ARTICLE_LB_EVENTS_PER_S = 3_267_311 / 90;
const JIFFY = 4000;

class Sock implements Due {
  rcvNxt = 0;
  sndUna = 0;
  tsRecent = 0;
  segs = 0;
  readonly timer = new Timer(this, 0);
  constructor(
    readonly addr: number,
    readonly port: number,
  ) {}
  fire(): void {}
}

function floor(events: number, sockets: number): number {
  const q = new EventQueue();
  const table = new ConnTable<Sock>();
  const socks: Sock[] = [];
  for (let i = 0; i < sockets; i++) {
    const s = new Sock((0xc6120000 + (i >>> 10)) | 0, 1024 + (i & 1023));
    socks.push(s);
    table.set(s.addr, s.port, 80, s);
  }
  let left = events;
  let pick = 1;
  const handler: LaneHandler = {
    fireItem(now, item) {
      const seg = item as Segment;
      const s = table.get(seg.src32, seg.sport, seg.dport);
      if (s === undefined) throw new Error('floor: no socket');
      s.rcvNxt = (seg.seq + seg.seqLen) | 0;
      s.sndUna = seg.ack | 0;
      s.tsRecent = seg.tsVal | 0;
      s.segs++;
      q.disarm(s.timer);
      if (--left <= 0) return;
      q.arm(s.timer, (Math.floor(now / JIFFY) + 50) * JIFFY);
      pick = (Math.imul(pick, 1103515245) + 12345) | 0;
      const d = socks[(pick >>> 8) % sockets]!;
      const out = new Segment(d.addr, d.port, 0xc6120001, 80, s.sndUna, s.rcvNxt, ACK, 64240, 0);
      out.hasTs = true;
      out.tsVal = now;
      lane.push(out, 0);
    },
  };
  const lane = q.lane(100, handler);
  // A thousand segments in flight, as on article-lb's 15 ms link.
  for (let i = 0; i < 1000 && i < sockets; i++) lane.push(new Segment(socks[i]!.addr, socks[i]!.port, 0xc6120001, 80, 0, 0, ACK, 64240, 0), 0);
  const t0 = performance.now();
  const fired = q.runUntil(Infinity);
  const ns = ((performance.now() - t0) * 1e6) / fired;
  return ns;
}

const events = Number(process.argv[2] ?? 3_270_000);
const sockets = Number(process.argv[3] ?? 1000);
if (!(events > 0) || !(sockets > 0)) throw new Error('usage: node dist/bench/floor.js [EVENTS] [SOCKETS]');
floor(200_000, sockets); // warm-up: compile before timing
for (let i = 0; i < 3; i++) {
  const ns = floor(events, sockets);
  console.log(`engine floor: ${ns.toFixed(0)} ns per event over ${sockets} sockets; at article-lb's event rate, ${(1e9 / ns / ARTICLE_LB_EVENTS_PER_S).toFixed(0)}x real time`);
}
