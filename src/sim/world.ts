// The simulated world of one scenario: clock, wire, hosts, and the little that the
// applications on different hosts share (what an exchange looks like).

import { IntMap } from '../engine/intmap.js';
import { EventQueue } from '../engine/queue.js';
import { Rng } from '../engine/rng.js';
import type { Micros } from '../engine/time.js';
import type { Ipv4 } from '../net/addr.js';
import { endpointKey, parseIpv4 } from '../net/addr.js';
import { Masquerade } from '../net/nat.js';
import { Network, PASS } from '../net/network.js';
import type { SegmentFilter, Verdict } from '../net/network.js';
import { flagLetters } from '../net/segment.js';
import type { Endpoint, FaultSpec, LinkSpec, Scenario } from '../scenario/types.js';
import { TcpHost } from '../tcp/host.js';
import { PROFILES } from '../tcp/profile.js';

/** A scenario feature the simulator does not model yet: refused, never silently ignored. */
export class UnsupportedError extends Error {
  constructor(
    readonly key: string,
    what: string,
  ) {
    super(`${key}: ${what} is not modelled yet by twlab simulate`);
  }
}

export class World {
  readonly queue = new EventQueue();
  readonly network: Network;
  readonly hosts = new Map<string, TcpHost>();
  readonly byAddress = new Map<Ipv4, TcpHost>();
  readonly rng: Rng;
  /** The NATs, by the name of the host that masquerades. */
  readonly nats = new Map<string, Masquerade>();
  /** Request sizes of exchanges in flight, by the connecting socket's incarnation. */
  private readonly requests = new IntMap<number>();
  private readonly responders = new Map<number, number>();
  private readonly proxyUpstreams = new Map<number, Endpoint[]>();
  private incarnations = 0;

  constructor(readonly scenario: Scenario) {
    refuseUnsupported(scenario);
    this.rng = new Rng(scenario.seed);
    this.network = new Network(this.queue);
    const ids = { next: (): number => ++this.incarnations };
    for (const h of scenario.hosts) {
      const address = parseIpv4(h.address)!;
      const host = new TcpHost({
        name: h.name,
        address,
        sysctl: h.sysctl,
        profile: PROFILES[scenario.kernel],
        queue: this.queue,
        network: this.network,
        rng: this.rng.fork(`host:${h.name}`),
        ids,
        ...(h.whatIf?.timewaitLen !== undefined ? { timewaitLen: h.whatIf.timewaitLen } : {}),
      });
      this.hosts.set(h.name, host);
      this.byAddress.set(address, host);
    }
    for (const h of scenario.hosts) {
      if (h.nat === undefined) continue;
      const nat = this.host(h.name);
      const inside = new Set(h.nat.inside.map((n) => this.hostAddress(n)));
      const m = new Masquerade(this.network, this.queue, nat.address, inside, this.rng.fork(`nat:${h.name}`), nat);
      this.network.reattach(nat.address, m.replySink);
      for (const a of inside) this.network.addGateway(a, m);
      this.nats.set(h.name, m);
    }
    for (const l of scenario.links) this.addLink(l);
    for (const [i, f] of scenario.faults.entries()) this.network.addFilter(this.faultFilter(f, i));
    for (const s of scenario.servers) this.responders.set(endpointKey(this.hostAddress(s.host), s.port), s.responseBytes);
    for (const p of scenario.proxies) this.proxyUpstreams.set(endpointKey(this.hostAddress(p.host), p.port), p.upstreams);
  }

  host(name: string): TcpHost {
    const h = this.hosts.get(name);
    if (h === undefined) throw new Error(`no host ${name}`);
    return h;
  }

  hostAddress(name: string): Ipv4 {
    return this.host(name).address;
  }

  /** The connecting side says how long its request is (the application protocol's framing). */
  registerRequest(incarnation: number, bytes: number): void {
    this.requests.set(incarnation, bytes);
  }
  forgetRequest(incarnation: number): void {
    this.requests.delete(incarnation);
  }
  /** How many bytes a request from the peer incarnation has; 0 for a peer nobody registered. */
  requestSize(peerIncarnation: number): number {
    return this.requests.get(peerIncarnation) ?? 0;
  }

  /**
   * How long the response from `target` is: a server's response_bytes, or what a proxy
   * relays from its first upstream; 0 when nothing answers there.
   */
  responseSize(target: Endpoint, depth = 0): number {
    const key = endpointKey(parseIpv4(target.address)!, target.port);
    const direct = this.responders.get(key);
    if (direct !== undefined) return direct;
    const ups = this.proxyUpstreams.get(key);
    if (ups !== undefined && ups.length > 0 && depth < 16) return this.responseSize(ups[0]!, depth + 1);
    return 0;
  }

  private addLink(l: LinkSpec): void {
    const a = this.hostAddress(l.between[0]);
    const b = this.hostAddress(l.between[1]);
    let impair: SegmentFilter | null = null;
    if (l.loss > 0 || l.duplicate > 0 || l.jitter > 0 || l.reorder > 0) {
      const rng = this.rng.fork(`link:${l.between[0]}-${l.between[1]}`);
      impair = (): Verdict => {
        if (l.loss > 0 && rng.float() < l.loss) return { kind: 'drop' };
        if (l.duplicate > 0 && rng.float() < l.duplicate) return { kind: 'duplicate', after: 0 };
        // Reordering: this segment takes the link delay twice, so later ones overtake it.
        if (l.reorder > 0 && rng.float() < l.reorder) return { kind: 'delay', by: l.delay + (l.jitter > 0 ? rng.below(l.jitter + 1) : 0) };
        if (l.jitter > 0) return { kind: 'delay', by: rng.below(l.jitter + 1) };
        return PASS;
      };
    }
    this.network.link(a, b, l.delay, impair);
  }

  private faultFilter(f: FaultSpec, _index: number): SegmentFilter {
    const from = this.hostAddress(f.from);
    const to = f.to !== undefined ? this.hostAddress(f.to) : undefined;
    let matches = 0;
    let acted = 0;
    const verdict: Verdict =
      f.action.kind === 'drop'
        ? { kind: 'drop' }
        : f.action.kind === 'delay'
          ? { kind: 'delay', by: f.action.by }
          : { kind: 'duplicate', after: f.action.after };
    return (seg): Verdict => {
      if (seg.src !== from || (to !== undefined && seg.dst !== to)) return PASS;
      if (f.flags !== undefined && flagLetters(seg.flags) !== f.flags) return PASS;
      if (f.payload !== undefined && f.payload !== seg.len > 0) return PASS;
      if (f.senderState !== undefined && seg.senderState !== f.senderState) return PASS;
      matches++;
      if (f.nth !== undefined && matches !== f.nth) return PASS;
      if (f.count !== undefined && acted >= f.count) return PASS;
      acted++;
      return verdict;
    };
  }
}

function refuseUnsupported(_s: Scenario): void {
  // Every key of format v1 is modelled; keep this as the place to refuse a future one.
}

/** Integer microseconds of an open-loop arrival i at `perSecond`, from `start`. */
export function arrivalTime(start: Micros, i: number, perSecond: number): Micros {
  return start + Math.floor((i * 1_000_000) / perSecond);
}
