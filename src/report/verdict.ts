// Result + Scenario -> a few plain sentences on what happened and why: the "What happened"
// block of the report. Every sentence is worked out from the figures of this run and the
// scenario's settings (never from the scenario's name), and only said when the data shows
// it: a run without trouble gets one line, not a list of things that did not happen.

import type { ClientSpec, Endpoint, HostSpec, Micros, ProxySpec, Scenario } from '../scenario/types.js';
import type { Percentiles, Result } from '../sim/result.js';
import { PROFILES } from '../tcp/profile.js';
import { isReservedPort, type Sysctls } from '../tcp/sysctl.js';
import { andList as list } from '../scenario/units.js';
import { bytes } from './format.js';

/** connect() searches at least this long at p99 before the report calls it a CPU cost. */
export const COSTLY_PROBES = 1000;

const SEC = 1_000_000;

/** One source of connect() calls: a client workload or one upstream of a proxy. */
interface Connector {
  host: string;
  /** `address:port (name)`. */
  dest: string;
  target: Endpoint;
  attempted: number;
  connected: number;
  errors: Record<string, number>;
  first: Record<string, number>;
  probes: Percentiles;
  /** New connections per second the scenario offers towards the destination. */
  rate: number | undefined;
  /** The rate is what the scenario asks (open loop), not a measured average. */
  rateAsked: boolean;
  bind: ClientSpec['bind'];
  /** When the workload starts (a proxy: 0). */
  start: Micros;
}

export function verdict(result: Result, scenario: Scenario): string[] {
  const v = new Verdict(result, scenario);
  const trouble = [
    ...v.portExhaustion(),
    ...v.connectTimeouts(),
    ...v.otherErrors(),
    ...v.proxyFailures(),
    ...v.timewaitOverflow(),
    ...v.closeWaitLeak(),
    ...v.lingerResets(),
    ...v.lastAckLeftOpen(),
    ...v.synMetOldConnection(),
    ...v.staleSegments(),
  ];
  return [
    ...(trouble.length === 0 ? v.allWell() : trouble),
    ...v.timewaitAnsweredFin(),
    ...v.portSearchCost(),
    ...v.timewaitOnServers(),
    ...v.timewaitReopened(),
    ...v.timewaitHeld(),
    ...v.whatIfKnobs(),
  ];
}

class Verdict {
  private readonly hosts: Map<string, HostSpec>;
  private readonly hostByAddress: Map<string, string>;
  private readonly connectors: Connector[];

  constructor(
    private readonly result: Result,
    private readonly scenario: Scenario,
  ) {
    this.hosts = new Map(scenario.hosts.map((h) => [h.name, h]));
    this.hostByAddress = new Map(scenario.hosts.map((h) => [h.address, h.name]));
    this.connectors = this.collectConnectors();
  }

  // -------------------------------------------------------------------------------------
  // Errors and their causes

  /**
   * EADDRNOTAVAIL: per host, which destinations ran dry and when; then, said once for all
   * hosts alike, whether TIME_WAIT explains it and whether tcp_tw_reuse could help.
   */
  portExhaustion(): string[] {
    const facts: string[] = [];
    const capacities = new Together();
    const reuses = new Together();
    const failing = this.connectors.filter((c) => (c.errors['EADDRNOTAVAIL'] ?? 0) > 0);
    for (const host of unique(failing.map((c) => c.host))) {
      const mine = failing.filter((c) => c.host === host);
      const failed = sum(mine.map((c) => c.errors['EADDRNOTAVAIL'] ?? 0));
      const attempted = sum(mine.map((c) => c.attempted));
      const calls = `${count(failed)} of ${plural(attempted, 'connect() call')} failed with EADDRNOTAVAIL`;
      const fixed = mine.filter((c) => c.bind !== null && c.bind.port !== 0);
      if (fixed.length === mine.length) {
        facts.push(
          `${host} binds its connections to port ${fixed[0]?.bind?.port} before connect(): ${calls} (the first at t=${time(mine[0]?.first['EADDRNOTAVAIL'])} s), ` +
            `because the same 4-tuple to ${list(mine.map((c) => c.dest))} was still held by an earlier connection${this.noTimestamps(host, mine)}.`,
        );
        continue;
      }
      const sysctl = this.sysctl(host);
      const [lo, hi] = sysctl.ip_local_port_range;
      const ports = usablePorts(sysctl);
      const when = mine.map((c) => `${c.dest} at t=${time(c.first['EADDRNOTAVAIL'])} s`);
      const reserved = hi - lo + 1 - ports;
      if (ports === 0) {
        facts.push(`${host} ran out of local ports to ${list(when)}: ${calls}, because every port of its range ${lo}-${hi} is reserved (net.ipv4.ip_local_reserved_ports).`);
        continue; // neither TIME_WAIT nor tcp_tw_reuse has a port to work with
      }
      const others = reserved > 0 ? ` (the other ${count(reserved)} ${reserved === 1 ? 'is' : 'are'} reserved)` : '';
      const taken = ports === 1 ? `the only usable port of its range ${lo}-${hi}${others} was taken` : `all ${count(ports)} ${reserved > 0 ? 'usable ' : ''}ports of its range ${lo}-${hi}${others} were taken`;
      facts.push(`${host} ran out of local ports to ${list(when)}: ${calls} once ${taken} towards ${mine.length === 1 ? 'that destination' : 'each'}.`);

      const tw = this.timewaitLen(host);
      if (tw === 0) continue;
      const capacity = this.capacityNote(host, mine, ports, tw);
      if (capacity) capacities.add(capacity, host, (hosts) => `On ${hosts}, ${capacity}`);
      const reuse = this.twReuseNote(host, mine);
      reuses.add(reuse, host, (hosts) => reuse.replace(HOSTS, hosts));
    }
    return [...facts, ...capacities.sentences(), ...reuses.sentences()];
  }

  /** Why the ports ran out, when the TIME_WAIT arithmetic shows it; undefined when it does not. */
  private capacityNote(host: string, mine: Connector[], ports: number, tw: Micros): string | undefined {
    const holding = `a ${seconds(tw)} s TIME_WAIT${this.whatIfNote(host)}`;
    if (mine.every((c) => c.rateAsked && c.rate !== undefined && c.rate > ports / (tw / SEC))) {
      const each = unique(mine.map((c) => perSecond(c.rate as number)));
      const asked = each.length === 1 ? `${each[0]}/s${mine.length > 1 ? ' to each' : ''}` : list(mine.map((c) => `${perSecond(c.rate as number)}/s to ${c.dest}`));
      return `${holding} lets ${plural(ports, 'port')} carry at most ${perSecond(ports / (tw / SEC), 'floor')} new connections/s to one destination; the scenario asks ${asked}.`;
    }
    const active = (this.scenario.duration - Math.min(...mine.map((c) => c.start))) / SEC;
    const attempted = Math.max(...mine.map((c) => c.attempted));
    if (attempted > ports && active <= tw / SEC) {
      return `${plural(attempted, 'connection')} to one destination within ${seconds(active * SEC)} s need more than ${ports === 1 ? 'the one port' : `the ${count(ports)} ports`}, each held for ${holding}.`;
    }
    return undefined;
  }

  /** `, and without TCP timestamps (tcp_timestamps is 0 on X) connect() may not take over its TIME_WAIT`, or ''. */
  private noTimestamps(host: string, mine: Connector[]): string {
    const off = this.timestampsOff(host, mine);
    return off.length === 0 ? '' : `, and without TCP timestamps (tcp_timestamps is 0 on ${list(off)}) connect() may not take over its TIME_WAIT`;
  }

  /** The host and the destination hosts of `mine` that have tcp_timestamps 0. */
  private timestampsOff(host: string, mine: Connector[]): string[] {
    const hosts = [host, ...mine.map((c) => this.hostByAddress.get(c.target.address))];
    return unique(hosts.filter((h): h is string => h !== undefined && this.sysctl(h).tcp_timestamps === 0));
  }

  /** Would tcp_tw_reuse have helped? What its value means here; HOSTS stands for the host names. */
  private twReuseNote(host: string, mine: Connector[]): string {
    const profile = PROFILES[this.scenario.kernel];
    if (!profile.linuxExtensions) return `On the ${profile.name} profile connect() never takes over a TIME_WAIT port: tcp_tw_reuse is a Linux extension.`;
    const sysctl = this.sysctl(host);
    const reuse = sysctl.tcp_tw_reuse;
    const noStamps = this.timestampsOff(host, mine);
    if (noStamps.length > 0) return `tcp_tw_reuse cannot help while tcp_timestamps is 0 on ${list(noStamps)}: reusing a TIME_WAIT port needs timestamps on both ends.`;
    const age = profile.twReuseAge === 'entry-delay' ? `${sysctl.tcp_tw_reuse_delay} ms after it entered TIME_WAIT (tcp_tw_reuse_delay)` : "more than 1 s after the peer's last timestamp";
    const loopback = mine.every((c) => isLoopback(c.target.address)) || isLoopback(this.hosts.get(host)?.address ?? '');
    if (reuse === 1 || (reuse === 2 && loopback)) {
      return `tcp_tw_reuse is ${reuse} on ${HOSTS}, yet ports ran out: it only takes over a TIME_WAIT port ${age}, never a port of an open or closing connection.`;
    }
    const meaning = reuse === 2 ? ' (the default: loopback only), so it does not apply to these destinations' : '';
    return `tcp_tw_reuse is ${reuse} on ${HOSTS}${meaning}; with 1, connect() could take over a TIME_WAIT port ${age}, as both ends use TCP timestamps.`;
  }

  /** ETIMEDOUT, and PAWS drops by tcp_tw_recycle behind NAT when the counters show it. */
  connectTimeouts(): string[] {
    const timedOut = this.connectors.filter((c) => (c.errors['ETIMEDOUT'] ?? 0) > 0);
    if (timedOut.length === 0) return [];
    const who = timedOut.map((c) => `${c.host} (${count(c.errors['ETIMEDOUT'] ?? 0)} of ${count(c.attempted)}, the first at t=${time(c.first['ETIMEDOUT'])} s)`);
    const out = [`Connections to ${list(unique(timedOut.map((c) => c.dest)))} timed out (ETIMEDOUT) for ${list(who)}.`];
    for (const peer of unique(timedOut.map((c) => this.hostByAddress.get(c.target.address)).filter((h): h is string => h !== undefined))) {
      const paws = this.mib(peer, 'TcpExtPAWSPassive');
      if (paws === 0) continue;
      const recycle = this.sysctl(peer).tcp_tw_recycle === 1;
      out.push(
        `${peer} dropped ${plural(paws, 'SYN')} whose timestamp was behind the last one it remembered from their source address (TcpExtPAWSPassive)` +
          (recycle ? ', which it does because net.ipv4.tcp_tw_recycle is 1.' : '.'),
      );
      const nats = this.scenario.hosts.filter((h) => h.nat && timedOut.some((c) => h.nat?.inside.includes(c.host)));
      for (const nat of recycle ? nats : []) {
        out.push(
          `${list(nat.nat?.inside ?? [])} reach ${peer} through ${nat.name} from one address, but each has its own timestamp clock: ` +
            'tcp_tw_recycle takes their SYNs for old duplicates. That is why it breaks clients behind NAT, and why Linux 4.12 removed it.',
        );
      }
    }
    return out;
  }

  /** Errors the sentences above do not explain (ECONNREFUSED, ECONNRESET, ...): named with counts. */
  otherErrors(): string[] {
    const explained = new Set(['EADDRNOTAVAIL', 'ETIMEDOUT']);
    const out: string[] = [];
    for (const c of this.connectors) {
      // ECONNRESET from a peer that aborts at close() is said with the aborts (lingerResets).
      const peer = this.hostByAddress.get(c.target.address);
      const aborting = peer !== undefined && this.mib(peer, 'TcpExtTCPAbortOnData') > 0;
      const other = Object.entries(c.errors).filter(([errno, n]) => n > 0 && !explained.has(errno) && !(errno === 'ECONNRESET' && aborting));
      if (other.length === 0) continue;
      const what = other.map(([errno, n]) => `${count(n)} ${errno} (the first at t=${time(c.first[errno])} s)`);
      out.push(`${c.host}'s connections to ${c.dest} failed with ${list(what)}.`);
    }
    return out;
  }

  /**
   * What a proxy's failures cost the side in front of it: a request whose upstream could not
   * be connected, or that the upstream closed without a response, gets its connection closed
   * without a response; the client counts that as no error, only as an exchange not completed.
   */
  proxyFailures(): string[] {
    const out: string[] = [];
    this.result.proxies.forEach((p, i) => {
      if (p.failed === 0) return;
      const own = sum(p.upstreams.map((u) => sum(Object.values(u.errors))));
      const behind = unique(
        (this.scenario.proxies[i]?.upstreams ?? [])
          .map((u) => this.hostByAddress.get(u.address) ?? u.host ?? '')
          .filter((h) => h !== '' && this.result.proxies.some((q) => q.host === h && q.failed > 0)),
      );
      const causes: string[] = [];
      if (own > 0) causes.push(`${count(Math.min(own, p.failed))} because its own connect() to an upstream failed`);
      if (p.failed > own) causes.push(behind.length > 0 ? `${count(p.failed - own)} because ${list(behind)} closed theirs without one` : `${count(p.failed - own)} because the upstream closed without one`);
      const address = this.hosts.get(p.host)?.address;
      const front = unique(this.scenario.clients.filter((c) => c.target.address === address).map((c) => c.host));
      const seen = front.length > 0 ? `; ${list(front)} ${front.length === 1 ? 'sees' : 'see'} them as exchanges not completed, not as errors` : '';
      out.push(`${p.host} closed ${count(p.failed)} of ${plural(p.requests, 'request')} without a response: ${list(causes)}${seen}.`);
    });
    return out;
  }

  /** TcpExtTCPTimeWaitOverflow: tcp_max_tw_buckets reached. */
  timewaitOverflow(): string[] {
    return this.hostNames()
      .filter((h) => this.mib(h, 'TcpExtTCPTimeWaitOverflow') > 0)
      .map(
        (h) =>
          `${h} hit net.ipv4.tcp_max_tw_buckets (${count(this.sysctl(h).tcp_max_tw_buckets)}): ${plural(this.mib(h, 'TcpExtTCPTimeWaitOverflow'), 'connection')} ` +
          'closed without a TIME_WAIT (TcpExtTCPTimeWaitOverflow), so nothing kept delayed segments of those 4-tuples away from the next connection.',
      );
  }

  /** CLOSE_WAIT left at the end by a server whose application never closes. */
  closeWaitLeak(): string[] {
    const out: string[] = [];
    for (const [name, host] of Object.entries(this.result.hosts)) {
      const left = host.states_end.CLOSE_WAIT ?? 0;
      const never = this.scenario.servers.filter((s) => s.host === name && s.close === 'never');
      if (left === 0 || never.length === 0) continue;
      out.push(
        `${name} holds ${plural(left, 'CLOSE_WAIT socket')} at the end: the peers closed, but the application never closes its side ` +
          `(close: never on port ${list(never.map((s) => String(s.port)))}), so they stay until it does.`,
      );
      out.push(...this.orphansGone(name, never.map((s) => s.port)));
    }
    return out;
  }

  /**
   * The other side of a CLOSE_WAIT leak: clients that closed first wait in FIN_WAIT_2 for a FIN
   * that never comes; orphaned by close(), they go after tcp_fin_timeout (tcp.c tcp_close,
   * tcp_fin_time).
   */
  private orphansGone(server: string, ports: number[]): string[] {
    const address = this.hosts.get(server)?.address;
    const out: string[] = [];
    for (const client of unique(this.scenario.clients.map((c) => c.host))) {
      const closing = this.result.clients.filter((r, i) => {
        const spec = this.scenario.clients[i];
        return r.host === client && spec !== undefined && spec.target.address === address && ports.includes(spec.target.port) && spec.close === 'first';
      });
      const connected = sum(closing.map((c) => c.connected));
      if (connected === 0 || this.peak(client, 'FIN_WAIT_2') === 0) continue;
      // tcp_fin_time: never less than 3.5 RTO, which a short tcp_fin_timeout can be below
      // (the initial 1 s RTO gives 3.5 s).
      const finTimeout = this.sysctl(client).tcp_fin_timeout;
      const fin = finTimeout >= 4 ? `tcp_fin_timeout (${finTimeout} s)` : `tcp_fin_time: tcp_fin_timeout (${finTimeout} s), but at least 3.5 RTO`;
      const left = this.result.hosts[client]?.states_end.FIN_WAIT_2 ?? 0;
      const fate =
        left === 0
          ? `each went after ${fin}, so none is left on ${client}`
          : `they go after ${fin}: ${count(left)} ${left === 1 ? 'is' : 'are'} still in FIN_WAIT_2 on ${client} at the end`;
      out.push(
        `${client}'s side of the ${plural(connected, 'connection')} closed first and waited in FIN_WAIT_2 for a FIN that never came; ` +
          `orphaned by close(), ${fate}, while ${server}'s CLOSE_WAIT stays.`,
      );
    }
    return out;
  }

  /** TcpExtTCPAbortOnData: close() with SO_LINGER 0 sends an RST (tcp.c tcp_close). */
  lingerResets(): string[] {
    const out: string[] = [];
    for (const name of this.hostNames()) {
      const aborts = this.mib(name, 'TcpExtTCPAbortOnData');
      if (aborts === 0) continue;
      const lingerZero = [...this.scenario.servers, ...this.scenario.clients].some((a) => a.host === name && a.linger.on && a.linger.timeout === 0);
      const address = this.hosts.get(name)?.address;
      const resets = this.connectors.filter((c) => c.target.address === address && (c.errors['ECONNRESET'] ?? 0) > 0);
      const seen = resets.length > 0 ? ` ${list(resets.map((c) => `${c.host} saw ECONNRESET ${plural(c.errors['ECONNRESET'] ?? 0, 'time')}`))}.` : '';
      out.push(
        lingerZero
          ? `${name} closed ${plural(aborts, 'connection')} with SO_LINGER 0 (TcpExtTCPAbortOnData): each close() sent an RST instead of a FIN, which leaves no TIME_WAIT but throws away data not yet delivered.${seen}`
          : `${name} reset ${plural(aborts, 'connection')} at close() (TcpExtTCPAbortOnData).${seen}`,
      );
    }
    return out;
  }

  // -------------------------------------------------------------------------------------
  // The last ACK is lost (the article's figure two)

  /**
   * The closer's final ACK was dropped and its TIME_WAIT answered the peer's retransmitted
   * FIN (tcp_minisocks.c tcp_timewait_state_process: TCP_TW_ACK): the peer's LAST_ACK ended
   * without an RST or a timeout.
   */
  timewaitAnsweredFin(): string[] {
    return this.lastAckPairs()
      .filter(({ closer }) => this.timewaitLen(closer) >= SEC && (this.result.hosts[closer]?.states_peak.TIME_WAIT ?? 0) > 0)
      .filter(({ closer, peer }) => this.mib(closer, 'TcpOutRsts') === 0 && this.mib(peer, 'TcpOutRsts') === 0 && this.mib(peer, 'TcpExtTCPAbortOnTimeout') === 0)
      .filter(({ peer }) => (this.result.hosts[peer]?.states_end.LAST_ACK ?? 0) === 0)
      .map(
        ({ closer, peer, cause }) =>
          `${cause}, so ${peer} stayed in LAST_ACK (${this.peak(peer, 'LAST_ACK')} at peak) and retransmitted its FIN (TcpRetransSegs ${count(this.mib(peer, 'TcpRetransSegs'))} on ${peer}); ` +
          `the TIME_WAIT on ${closer} answered with an ACK again and ${peer} closed, with no RST on either side (TcpOutRsts 0). ` +
          'Answering a FIN that comes again is the second job of TIME_WAIT.',
      );
  }

  /** The same without TIME_WAIT: nothing answers the peer's FIN but an RST. */
  lastAckLeftOpen(): string[] {
    return this.lastAckPairs()
      .filter(({ closer }) => this.timewaitLen(closer) < SEC)
      .map(({ closer, peer, cause }) => {
        const tw = this.timewaitLen(closer);
        const keeps = tw === 0 ? 'keeps no TIME_WAIT' : `keeps TIME_WAIT for only ${seconds(tw)} s`;
        // RSTs the closer sent, less the ones that answered challenge ACKs (said with the SYN).
        const finResets = this.answeringResets(closer) - this.mib(peer, 'TcpExtTCPChallengeACK');
        const reset = finResets > 0 ? ' was answered with an RST' : ' went unanswered';
        return (
          `${cause}, and ${closer} ${keeps}${this.whatIfNote(closer, 'timewait_len')}, so nothing on ${closer} remembered the connection: ` +
          `${peer} stayed in LAST_ACK (${this.peak(peer, 'LAST_ACK')} at peak) and its retransmitted FIN (TcpRetransSegs ${count(this.mib(peer, 'TcpRetransSegs'))} on ${peer})${reset}.`
        );
      });
  }

  /**
   * A SYN that met a connection the server still held (TcpExtTCPSYNChallenge, RFC 5961 4.2):
   * a challenge ACK, the client's RST for it, and the SYN again
   * (tcp_input.c tcp_rcv_synsent_state_process), which delays the connect().
   */
  synMetOldConnection(): string[] {
    const out: string[] = [];
    for (const [server, client] of this.pairs()) {
      const challenged = this.mib(server, 'TcpExtTCPSYNChallenge');
      const retried = this.mib(client, 'TcpExtTCPSynRetrans');
      if (challenged === 0 || retried === 0 || this.answeringResets(client) === 0) continue;
      const address = this.hosts.get(server)?.address;
      const mine = this.result.clients.filter((c, i) => c.host === client && this.scenario.clients[i]?.target.address === address);
      const slowest = mine.reduce<Percentiles | undefined>((a, c) => (a === undefined || c.connect_ms.max > a.max ? c.connect_ms : a), undefined);
      const delay =
        slowest !== undefined && slowest.max > 2 * slowest.p50
          ? `, so the slowest connect() took ${ms(slowest.max)} ms against ${ms(slowest.p50)} ms at p50`
          : '';
      out.push(
        `${client} connected again from a port whose old connection ${server} still held: ${server} answered the SYN with a challenge ACK ` +
          `(TcpExtTCPChallengeACK ${count(this.mib(server, 'TcpExtTCPChallengeACK'))}), ${client} answered that with an RST (TcpOutRsts ${count(this.mib(client, 'TcpOutRsts'))} on ${client} in all) ` +
          `and sent its SYN again (TcpExtTCPSynRetrans ${count(retried)})${delay}.`,
      );
    }
    return out;
  }

  /**
   * Closer and peer where the scenario drops the closer's final ACK (a pure ACK sent from
   * FIN_WAIT_2 or TIME_WAIT) and the peer, left in LAST_ACK, retransmitted.
   */
  private lastAckPairs(): { closer: string; peer: string; cause: string }[] {
    const out: { closer: string; peer: string; cause: string }[] = [];
    for (const [peer, closer] of this.pairs()) {
      const dropped = this.scenario.faults.some(
        (f) =>
          f.action.kind === 'drop' && f.from === closer && (f.to === undefined || f.to === peer) && f.flags === 'A' && (f.senderState === 'FIN_WAIT_2' || f.senderState === 'TIME_WAIT'),
      );
      if (!dropped || this.peak(peer, 'LAST_ACK') === 0 || this.mib(peer, 'TcpRetransSegs') === 0) continue;
      out.push({ closer, peer, cause: `${closer}'s final ACK of a close was dropped on the way to ${peer} (a fault of the scenario)` });
    }
    return out;
  }

  /** [server host, connecting host] for every host that connects to another, in scenario order. */
  private pairs(): [string, string][] {
    const seen = new Set<string>();
    const out: [string, string][] = [];
    for (const c of this.connectors) {
      const server = this.hostByAddress.get(c.target.address);
      if (server === undefined || seen.has(`${server} ${c.host}`)) continue;
      seen.add(`${server} ${c.host}`);
      out.push([server, c.host]);
    }
    return out;
  }

  private peak(host: string, state: 'LAST_ACK' | 'TIME_WAIT' | 'FIN_WAIT_2'): number {
    return this.result.hosts[host]?.states_peak[state] ?? 0;
  }

  /** What only a simulator can see: data of an old connection accepted by a new one. */
  staleSegments(): string[] {
    const integrity = this.result.integrity;
    if (!integrity) return [];
    const out: string[] = [];
    const linuxLen = PROFILES[this.scenario.kernel].timewaitLen;
    const shortened = this.scenario.hosts.filter((h) => h.whatIf?.timewaitLen !== undefined && h.whatIf.timewaitLen < linuxLen).map((h) => h.name);
    const cause = shortened.length > 0 ? ` Here TIME_WAIT was shortened on ${list(shortened)} by what_if timewait_len (simulator only, not Linux).` : '';
    if (integrity.stale_segments_accepted > 0) {
      out.push(
        `${plural(integrity.stale_segments_accepted, 'segment')} (${plural(integrity.stale_bytes_accepted, 'byte')}) of an earlier connection ${integrity.stale_segments_accepted === 1 ? 'was' : 'were'} accepted by a later one on the same 4-tuple: ` +
          `the corruption TIME_WAIT exists to prevent.${cause}`,
      );
    }
    const resets = integrity.resets_from_stale_state;
    if (resets > 0) {
      // The counter (host.ts sendReset) counts RSTs a host sent in answer to a segment of a
      // connection it had already ended: the peer is the one still holding it. The result
      // sums it over hosts; a host is named only when it alone sent RSTs other than aborts.
      const senders = this.hostNames().filter((h) => this.answeringResets(h) > 0);
      const sender = senders.length === 1 && this.answeringResets(senders[0] as string) >= resets ? senders[0] : undefined;
      const peers = sender === undefined ? [] : this.counterparts(sender);
      const said =
        sender === undefined
          ? `${plural(resets, 'RST')} answered ${resets === 1 ? 'a segment of a connection' : 'segments of connections'} the resetting host had already ended while its peer still held ${resets === 1 ? 'it' : 'them'}`
          : `${sender} sent ${plural(resets, 'RST')} in answer to ${resets === 1 ? 'a segment of a connection' : 'segments of connections'} it had already ended` +
            (peers.length > 0 ? `, which ${list(peers)} still held` : '');
      out.push(`${said} (resets_from_stale_state).${out.length === 0 ? cause : ''}`);
    }
    return out;
  }

  /** RSTs `host` sent in answer to a segment (TcpOutRsts without the ones its own aborts sent). */
  private answeringResets(host: string): number {
    const aborts = ['TcpExtTCPAbortOnData', 'TcpExtTCPAbortOnClose', 'TcpExtTCPAbortOnMemory', 'TcpExtTCPAbortOnLinger'];
    return this.mib(host, 'TcpOutRsts') - sum(aborts.map((c) => this.mib(host, c)));
  }

  /** The hosts `host` connects to or is connected from, in scenario order. */
  private counterparts(host: string): string[] {
    const address = this.hosts.get(host)?.address;
    const names = this.connectors.flatMap((c) => {
      if (c.host === host) return [this.hostByAddress.get(c.target.address)];
      return c.target.address === address ? [c.host] : [];
    });
    return unique(names.filter((h): h is string => h !== undefined && h !== host));
  }

  /** Nothing went wrong: say so, with the one figure that proves it. */
  allWell(): string[] {
    const attempted = sum(this.result.clients.map((c) => c.attempted));
    const completed = sum(this.result.clients.map((c) => c.completed));
    if (attempted === 0) return ['No client opened a connection.'];
    const unfinished = attempted - completed;
    if (unfinished === 0) return [`No errors: all ${plural(attempted, 'client connection')} completed.`];
    return [
      `No errors counted, and ${count(completed)} of ${plural(attempted, 'client connection')} completed; ` +
        `the other ${count(unfinished)} did not finish (still open at the end of the run, or closed before the exchange was done).`,
    ];
  }

  // -------------------------------------------------------------------------------------
  // Costs

  /** connect() probes: a long port search is CPU time spent per new connection. */
  portSearchCost(): string[] {
    const together = new Together();
    const costly = this.connectors.filter((c) => c.probes.p99 >= COSTLY_PROBES);
    for (const host of unique(costly.map((c) => c.host))) {
      const mine = costly.filter((c) => c.host === host);
      const p99 = Math.max(...mine.map((c) => c.probes.p99));
      const ports = usablePorts(this.sysctl(host));
      const failing = mine.some((c) => (c.errors['EADDRNOTAVAIL'] ?? 0) > 0);
      let why: string;
      if (failing && p99 >= ports) why = 'a connect() that fails looks at every port of the range first';
      else if (PROFILES[this.scenario.kernel].portSearch === 'even-first' && p99 >= 0.4 * ports && p99 <= 0.6 * ports) {
        why = 'Linux tries ports of one parity first, so once that half of the range is taken every connect() scans past it before it finds a free port';
      } else why = 'with most of the range taken, every connect() walks past busy ports before it finds a free one';
      const text = `looked at ${count(p99)} ports at p99 of a ${count(ports)}-port range: ${why}. That search is CPU time the kernel spends on every new connection.`;
      together.add(text, host, (hosts) => `connect() on ${hosts} ${text}`);
    }
    return together.sentences();
  }

  // -------------------------------------------------------------------------------------
  // Who closes first holds the TIME_WAIT

  /** A host whose every destination is a server that closes first: its ports are free again at once. */
  timewaitOnServers(): string[] {
    const out: string[] = [];
    for (const host of unique(this.connectors.map((c) => c.host))) {
      const mine = this.connectors.filter((c) => c.host === host);
      const h = this.result.hosts[host];
      if (h === undefined || (h.states_peak.TIME_WAIT ?? 0) > 0 || mine.some((c) => sum(Object.values(c.errors)) > 0)) continue;
      const servers = mine.map((c) => this.closesFirst(c.target));
      if (servers.some((s) => s === undefined || this.peak(s, 'TIME_WAIT') === 0)) continue;
      const peers = unique(servers as string[]);
      const connected = sum(mine.map((c) => c.connected));
      // Only worth saying when the range could not have held a TIME_WAIT per connection.
      const ports = usablePorts(this.sysctl(host));
      if (connected <= ports) continue;
      out.push(
        `${host} holds no TIME_WAIT: ${list(peers)} close${peers.length === 1 ? 's' : ''} first, so the TIME_WAIT of its ${plural(connected, 'connection')} to ${peers.length === 1 ? 'it' : 'them'} ` +
          `is on ${peers.length === 1 ? 'its' : 'their'} side; a local port of ${host} is free again as soon as its connection ends (local ports in use peak: ${count(h.bind_buckets_peak)}), ` +
          `and its ${count(ports)}-port range never runs short.`,
      );
    }
    return out;
  }

  /**
   * TIME_WAITs on a server that closes first, taken over by new SYNs on the same 4-tuple
   * (tcp_minisocks.c tcp_timewait_state_process: TCP_TW_SYN; RFC 6191). Linux counts no
   * statistic for it, so it is said only when the counters prove it: every TIME_WAIT entered
   * is in TcpExtTW (counted when armed), none can have expired within the run, no RST can
   * have killed one, and fewer are left than were entered.
   */
  timewaitReopened(): string[] {
    if (PROFILES[this.scenario.kernel].twCountedAt !== 'schedule') return [];
    const found: { host: string; entered: number; end: number; from: string[]; len: Micros }[] = [];
    for (const host of this.hostNames()) {
      const len = this.timewaitLen(host);
      if (this.scenario.duration > len) continue;
      const from = this.connectors.filter((c) => this.closesFirst(c.target) === host);
      if (from.length === 0 || from.some((c) => this.mib(c.host, 'TcpOutRsts') > 0)) continue;
      const h = this.result.hosts[host];
      if (h === undefined) continue;
      const entered = this.mib(host, 'TcpExtTW');
      const end = h.states_end.TIME_WAIT ?? 0;
      const left = end + (h.states_end.FIN_WAIT_2 ?? 0) + this.mib(host, 'TcpExtTWRecycled');
      if (end === 0 || entered <= left) continue;
      found.push({ host, entered, end, from: unique(from.map((c) => c.host)), len });
    }
    const [first, ...rest] = found;
    if (first === undefined) return [];
    const lens = unique(found.map((f) => f.len));
    const senders = unique(found.flatMap((f) => f.from));
    const others = rest.map((f) => `${f.host} ${count(f.end)} of ${count(f.entered)}`);
    const expire = lens.length === 1 ? `a ${seconds(lens[0] as Micros)} s TIME_WAIT` : 'TIME_WAIT no shorter than the run';
    return [
      `${first.host} holds ${plural(first.end, 'TIME_WAIT socket')} at the end of the ${count(first.entered)} it entered (TcpExtTW)${others.length > 0 ? `, ${list(others)}` : ''}; ` +
        `none can have expired in a ${seconds(this.scenario.duration)} s run with ${expire}: new SYNs from ${list(senders)} reopened the others. ` +
        `${senders.length === 1 ? `${senders[0]}'s connect() cannot` : 'connect() on those hosts cannot'} see a TIME_WAIT on the server, so it reuses ports whose 4-tuple is still in TIME_WAIT there, ` +
        'and a SYN with a newer timestamp or a higher sequence number may take it over (RFC 6191); Linux counts no statistic for that.',
    ];
  }

  /** The host of the server at `target` when it closes first; undefined otherwise. */
  private closesFirst(target: Endpoint): string | undefined {
    const host = this.hostByAddress.get(target.address);
    return this.scenario.servers.some((s) => s.host === host && s.port === target.port && s.close === 'first') ? host : undefined;
  }

  /** Who holds TIME_WAIT and what it costs in kernel memory. */
  timewaitHeld(): string[] {
    const held = Object.entries(this.result.hosts)
      .map(([name, h]) => ({ name, peak: h.states_peak.TIME_WAIT ?? 0, bytes: h.timewait_memory_bytes_peak }))
      .filter((h) => h.peak > 0)
      .sort((a, b) => b.peak - a.peak || a.name.localeCompare(b.name));
    const [top, ...rest] = held;
    if (top === undefined) return [];
    const each = top.bytes > 0 && top.bytes % top.peak === 0 ? ` (${count(top.bytes / top.peak)} B each)` : '';
    const others = rest.length > 0 ? `; ${list(rest.map((h) => `${h.name} ${count(h.peak)} (${bytes(h.bytes)})`))}` : '';
    return [`${top.name} holds ${plural(top.peak, 'TIME_WAIT socket')} at peak, ${bytes(top.bytes)} of kernel memory${each}${others}.`];
  }

  /** what_if knobs: said plainly, since no real kernel has them. */
  whatIfKnobs(): string[] {
    const linuxLen = PROFILES[this.scenario.kernel].timewaitLen;
    return this.scenario.hosts
      .filter((h) => h.whatIf?.timewaitLen !== undefined)
      .map(
        (h) =>
          `Not Linux: ${h.name}'s TIME_WAIT lasts ${seconds(h.whatIf?.timewaitLen ?? 0)} s by what_if timewait_len, a simulator-only knob; ` +
          `the ${this.scenario.kernel} TIME_WAIT is ${seconds(linuxLen)} s and no sysctl changes it.`,
      );
  }

  // -------------------------------------------------------------------------------------
  // Facts from the scenario

  private collectConnectors(): Connector[] {
    const out: Connector[] = [];
    this.result.clients.forEach((c, i) => {
      const spec = this.scenario.clients[i];
      if (spec === undefined) return;
      const serial = spec.rate.kind === 'serial';
      const active = (this.scenario.duration - spec.start) / SEC;
      out.push({
        host: c.host,
        dest: this.destOf(spec.target),
        target: spec.target,
        attempted: c.attempted,
        connected: c.connected,
        errors: c.errors,
        first: c.errors_first_s ?? {},
        probes: c.connect_probes,
        rate: spec.rate.kind === 'open' ? spec.rate.perSecond : active > 0 ? c.attempted / active : undefined,
        rateAsked: !serial,
        bind: spec.bind,
        start: spec.start,
      });
    });
    this.result.proxies.forEach((p, i) => {
      const spec = this.scenario.proxies[i];
      if (spec === undefined) return;
      const incoming = this.incomingRate(spec, new Set());
      p.upstreams.forEach((u, j) => {
        const target = spec.upstreams[j];
        if (target === undefined) return;
        out.push({
          host: p.host,
          dest: this.destOf(target),
          target,
          attempted: u.attempted,
          connected: u.connected,
          errors: u.errors,
          first: u.errors_first_s ?? {},
          probes: u.connect_probes,
          rate: incoming === undefined ? undefined : incoming.rate / spec.upstreams.length,
          rateAsked: incoming?.asked ?? false,
          bind: null,
          start: 0,
        });
      });
    });
    return out;
  }

  /** Requests/s a proxy receives: its clients' rates plus what proxies in front send it, round robin. */
  private incomingRate(proxy: ProxySpec, seen: Set<ProxySpec>): { rate: number; asked: boolean } | undefined {
    if (seen.has(proxy)) return undefined;
    seen.add(proxy);
    const address = this.hosts.get(proxy.host)?.address;
    const reaches = (e: Endpoint): boolean => e.address === address && e.port === proxy.port;
    let rate = 0;
    let asked = true;
    this.scenario.clients.forEach((c, i) => {
      if (!reaches(c.target)) return;
      if (c.rate.kind === 'open') rate += c.rate.perSecond;
      else {
        asked = false;
        const active = (this.scenario.duration - c.start) / SEC;
        rate += active > 0 ? (this.result.clients[i]?.attempted ?? 0) / active : 0;
      }
    });
    for (const front of this.scenario.proxies) {
      const share = front.upstreams.filter(reaches).length;
      if (share === 0) continue;
      const upstream = this.incomingRate(front, seen);
      if (upstream === undefined) return undefined;
      rate += (upstream.rate * share) / front.upstreams.length;
      asked &&= upstream.asked;
    }
    return rate > 0 ? { rate, asked } : undefined;
  }

  /** `10.162.74.43:80 (web1)`. */
  private destOf(e: Endpoint): string {
    const name = e.host ?? this.hostByAddress.get(e.address);
    return `${e.address}:${e.port}${name ? ` (${name})` : ''}`;
  }

  private sysctl(host: string): Sysctls {
    const spec = this.hosts.get(host);
    if (spec === undefined) throw new Error(`verdict: no host ${host} in the scenario`);
    return spec.sysctl;
  }

  private timewaitLen(host: string): Micros {
    return this.hosts.get(host)?.whatIf?.timewaitLen ?? PROFILES[this.scenario.kernel].timewaitLen;
  }

  /** ` (what_if, not Linux)`, or with the knob: ` (what_if timewait_len 0 s, not Linux)`; '' without what_if. */
  private whatIfNote(host: string, knob?: 'timewait_len'): string {
    const len = this.hosts.get(host)?.whatIf?.timewaitLen;
    if (len === undefined) return '';
    return knob === undefined ? ' (what_if, not Linux)' : ` (what_if ${knob} ${seconds(len)} s, not Linux)`;
  }

  private mib(host: string, name: string): number {
    return this.result.hosts[host]?.mib[name] ?? 0;
  }

  private hostNames(): string[] {
    return Object.keys(this.result.hosts);
  }
}

/** Stands for the list of hosts in a sentence said once for several hosts. */
const HOSTS = '\u0000HOSTS\u0000';

/** Sentences that differ only in the hosts they name, said once for all of them, in first-seen order. */
class Together {
  private readonly groups = new Map<string, { hosts: string[]; render: (hosts: string) => string }>();

  add(key: string, host: string, render: (hosts: string) => string): void {
    const group = this.groups.get(key);
    if (group) group.hosts.push(host);
    else this.groups.set(key, { hosts: [host], render });
  }

  sentences(): string[] {
    return [...this.groups.values()].map((g) => g.render(list(g.hosts)));
  }
}

/** Ports connect() may choose from: the range without ip_local_reserved_ports. */
export function usablePorts(sysctl: Sysctls): number {
  const [lo, hi] = sysctl.ip_local_port_range;
  let n = 0;
  for (let p = lo; p <= hi; p++) if (!isReservedPort(sysctl, p)) n++;
  return n;
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.');
}

// ---------------------------------------------------------------------------------------
// Words and numbers

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Groups digits with a no-break space (U+00A0), so that a wrapped line never splits a number. */
export const DIGIT_GROUP = '\u00a0';

/** `1 segment`, `2 segments`, `28 232 ports`. */
function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** 28232 -> `28 232`. */
export function count(n: number): string {
  const s = Number.isInteger(n) ? String(n) : n.toFixed(1);
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, DIGIT_GROUP);
}

/** Seconds into the run: 56.509 -> `56.5`, 1.254 -> `1.25`. */
function time(s: number | undefined): string {
  if (s === undefined) return '?';
  return String(Number(s.toFixed(s < 10 ? 2 : 1)));
}

function seconds(us: Micros): string {
  return String(Number((us / SEC).toFixed(3)));
}

/** Milliseconds with about three significant digits: 0.1, 10.1, 250. */
function ms(n: number): string {
  return String(Number(n.toPrecision(3)));
}

/** A rate: whole numbers from 10 up, two significant digits below. `floor` for an upper bound. */
function perSecond(n: number, mode: 'round' | 'floor' = 'round'): string {
  if (n >= 10) return count(mode === 'floor' ? Math.floor(n) : Math.round(n));
  return String(Number(n.toPrecision(2)));
}
