// A scenario -> the namespaces, veth pairs, routes, nftables rules, sysctls and agent jobs
// that run it on the real kernel, or the list of what this kernel cannot honour. Pure: it
// decides, netns.ts and run.ts act (style.md 2).
//
// Topology. One network namespace per host, `twlab-<runid>-<host>`. Every pair of hosts
// that talk (a client and its target, a proxy and its upstreams) gets its own veth pair;
// each end carries the host's address as a point-to-point address with the peer's address
// as /32, so no subnet is shared and no bridge is needed. A host inside a NAT reaches the
// outside through the NAT host: veth to the NAT, a route via it, and nftables masquerade in
// the NAT's namespace (as the model's Masquerade: the original source port unless it
// clashes). Nothing is created in the host's own namespace, and every address is in
// 198.18.0.0/15 (RFC 2544 benchmarking): addresses outside it are remapped, and said so.

import { formatIpv4, parseIpv4 } from '../net/addr.js';
import type { ClientSpec, Endpoint, FaultSpec, HostSpec, Linger, Scenario } from '../scenario/types.js';
import { formatDuration } from '../scenario/units.js';
import type { KernelProfileName } from '../tcp/sysctl.js';
import { formatSysctl, sysctlNames, sysctlScope } from '../tcp/sysctl.js';
import type { AgentConfig, ClientJob, ProxyJob, RequestFraming, ServerJob, SysctlWrite } from './jobs.js';
import { FRAME_HEADER_BYTES } from './jobs.js';

/** Every namespace, veth and agent of twlab lab starts with this. */
export const NETNS_PREFIX = 'twlab-';

/** RFC 2544's benchmarking block, 198.18.0.0/15: the only addresses lab configures. */
const LAB_NET = parseIpv4('198.18.0.0')!;
const LAB_NET_SIZE = 2 ** 17;
/** Remapped addresses are handed out from here up, skipping the scenario's own. */
const REMAP_FROM = parseIpv4('198.19.0.1')!;

/** The model's one-way delay of a host pair without a link (net/network.ts DEFAULT_LINK_DELAY). */
const MODEL_DEFAULT_DELAY_US = 50;

/** `numgen inc mod` of fault rules: large enough never to wrap within a run. */
const NUMGEN_MOD = 2147483647;
/** Link loss is approximated with `numgen random mod` this, in millionths. */
const LOSS_SCALE = 1_000_000;

export interface LabPlanOptions {
  /** `[0-9]+x[0-9a-f]{4}`: the parent's pid and a random tag (see netns.ts). */
  runId: string;
  /** `uname -r` of this machine. */
  kernelRelease: string;
  /** Run what can only be approximated, and say so, instead of refusing. */
  approximate: boolean;
  /** The FFI for socket options Node's net lacks (sockopt.ts) is installed. */
  sockopts: boolean;
}

/** What the scenario asks that this kernel (or lab) cannot honour; each names its key. */
export class LabRefusal extends Error {
  override readonly name = 'LabRefusal';
  constructor(readonly problems: readonly string[]) {
    super(
      `twlab lab cannot run this scenario as written:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'Change those keys, run it with twlab simulate, or add --approximate where that is offered.',
    );
  }
}

export interface VethEnd {
  host: string;
  netns: string;
  dev: string;
  address: string;
}

export interface RoutePlan {
  /** Destination /32. */
  dst: string;
  via: string;
  dev: string;
}

export interface HostPlan {
  name: string;
  netns: string;
  /** The host's address in the lab (the scenario's, or a remapped one). */
  address: string;
  scenarioAddress: string;
  routes: RoutePlan[];
  /** nftables ruleset for `nft -f -` in the namespace, or '' for none. */
  nft: string;
  agent: AgentConfig;
}

export interface LabPlan {
  runId: string;
  hosts: HostPlan[];
  veths: [VethEnd, VethEnd][];
  /** What differs from the scenario, and why (printed, and in the JSON's `lab.notes`). */
  notes: string[];
  /** Hosts whose address was remapped: scenario address -> lab address. */
  remapped: Record<string, { scenario: string; lab: string }>;
  durationMs: number;
  snapshotsMs: number[];
  seriesMs: number;
  /** The kernel profile of the running kernel, when twlab has one for it. */
  runningProfile: KernelProfileName | null;
}

export function netnsName(runId: string, host: string): string {
  return `${NETNS_PREFIX}${runId}-${host}`;
}

/** The twlab kernel profile of a running kernel release, if twlab has one. */
export function profileOfRelease(release: string): KernelProfileName | null {
  if (/^6\.18(\.|$|-)/.test(release)) return 'linux-6.18';
  if (/^4\.4(\.|$|-)/.test(release)) return 'linux-4.4';
  return null;
}

export function inLabNet(address: string): boolean {
  const a = parseIpv4(address);
  return a !== null && a >= LAB_NET && a < LAB_NET + LAB_NET_SIZE;
}

export function planLab(scenario: Scenario, options: LabPlanOptions): LabPlan {
  return new Planner(scenario, options).plan();
}

const us2ms = (us: number): number => us / 1000;

class Planner {
  private readonly problems: string[] = [];
  private readonly notes: string[] = [];
  private readonly hostIndex = new Map<string, number>();
  private readonly labAddress = new Map<string, string>();
  private readonly hostByAddress = new Map<string, HostSpec>();
  /** Inside host -> the host that masquerades it. */
  private readonly natOf = new Map<string, string>();
  /** Inside host -> the hosts it reaches through its NAT (routed via the NAT host). */
  private readonly viaNat = new Map<string, Set<string>>();
  private readonly runningProfile: KernelProfileName | null;

  constructor(
    private readonly s: Scenario,
    private readonly o: LabPlanOptions,
  ) {
    this.runningProfile = profileOfRelease(o.kernelRelease);
    s.hosts.forEach((h, i) => {
      this.hostIndex.set(h.name, i);
      this.hostByAddress.set(h.address, h);
      for (const inside of h.nat?.inside ?? []) this.natOf.set(inside, h.name);
    });
  }

  /** Refused; with --approximate the `approx` note is taken instead when given. */
  private refuse(problem: string, approx?: string): void {
    if (approx !== undefined && this.o.approximate) this.notes.push(`approximated: ${approx}`);
    else this.problems.push(approx !== undefined ? `${problem} (--approximate: ${approx})` : problem);
  }

  plan(): LabPlan {
    this.checkKernel();
    this.assignAddresses();
    const pairs = this.talkingPairs();
    const veths = this.veths(pairs);
    this.checkLinks(pairs);
    const hosts = this.s.hosts.map((h) => this.hostPlan(h, pairs));
    this.notes.push(
      'link delays are not emulated (this lab has no netem): every pair of hosts is one veth pair with a few ' +
        `microseconds of latency, where the model puts ${MODEL_DEFAULT_DELAY_US}us one way on a pair without a link; ` +
        'connect_ms are the veth\'s.',
      'states_peak, timewait_memory_bytes_peak and bind_buckets_peak are sampled from /proc/net/tcp, not exact; ' +
        'connect_probes cannot be observed on a real kernel and are reported as 0.',
    );
    if (this.problems.length > 0) throw new LabRefusal(this.problems);
    const remapped: LabPlan['remapped'] = {};
    for (const h of this.s.hosts) {
      const lab = this.labAddress.get(h.name)!;
      if (lab !== h.address) remapped[h.name] = { scenario: h.address, lab };
    }
    return {
      runId: this.o.runId,
      hosts,
      veths,
      notes: this.notes,
      remapped,
      durationMs: us2ms(this.s.duration),
      snapshotsMs: this.s.snapshots.map(us2ms),
      seriesMs: us2ms(this.s.series),
      runningProfile: this.runningProfile,
    };
  }

  private checkKernel(): void {
    const running = this.runningProfile;
    if (running === this.s.kernel) return;
    const have = running === null ? 'no twlab profile' : `profile ${running}`;
    this.refuse(
      `kernel: the scenario asks for the ${this.s.kernel} profile; this machine runs ${this.o.kernelRelease} (${have}), and lab runs only the kernel it is on`,
      `run on ${this.o.kernelRelease} instead of ${this.s.kernel}`,
    );
  }

  // ---------------------------------------------------------------------------------------
  // Addresses

  private assignAddresses(): void {
    const used = new Set(this.s.hosts.map((h) => parseIpv4(h.address)!));
    let next = REMAP_FROM;
    for (const h of this.s.hosts) {
      if (inLabNet(h.address)) {
        this.labAddress.set(h.name, h.address);
        continue;
      }
      while (used.has(next)) next++;
      used.add(next);
      const lab = formatIpv4(next);
      this.labAddress.set(h.name, lab);
      this.notes.push(`address of ${h.name} remapped: ${h.address} -> ${lab} (lab configures only 198.18.0.0/15)`);
    }
  }

  private addressOf(host: string): string {
    return this.labAddress.get(host)!;
  }

  /** The host an endpoint points at, or a problem. */
  private targetHost(ep: Endpoint, key: string): string | undefined {
    const host = ep.host ?? this.hostByAddress.get(ep.address)?.name;
    if (host === undefined) {
      this.problems.push(`${key}: ${ep.address} is no host of the scenario; lab sends traffic only to its own namespaces`);
    }
    return host;
  }

  // ---------------------------------------------------------------------------------------
  // Topology

  /** Unordered host pairs that need a veth, "a b" with a < b by host order. */
  private talkingPairs(): Set<string> {
    const pairs = new Set<string>();
    const add = (a: string, b: string): void => {
      const [x, y] = this.hostIndex.get(a)! < this.hostIndex.get(b)! ? [a, b] : [b, a];
      pairs.add(`${x} ${y}`);
    };
    const talk = (a: string, b: string, key: string): void => {
      if (a === b) return; // the host's own address: loopback, no veth
      const na = this.natOf.get(a);
      const nb = this.natOf.get(b);
      if (nb !== undefined && nb !== na && a !== nb) {
        this.problems.push(`${key}: ${b} sits behind the NAT of ${nb}, so its replies would leave with ${nb}'s address; neither the model nor lab can reach it from outside`);
        return;
      }
      if (na !== undefined && na !== nb && b !== na) {
        add(a, na);
        add(na, b);
        const routed = this.viaNat.get(a) ?? new Set<string>();
        this.viaNat.set(a, routed.add(b));
        return;
      }
      add(a, b);
    };
    this.s.clients.forEach((c, i) => {
      const t = this.targetHost(c.target, `clients[${i}].target`);
      if (t !== undefined) talk(c.host, t, `clients[${i}].target`);
    });
    this.s.proxies.forEach((p, i) => {
      p.upstreams.forEach((u, k) => {
        const t = this.targetHost(u, `proxies[${i}].upstreams[${k}]`);
        if (t !== undefined) talk(p.host, t, `proxies[${i}].upstreams[${k}]`);
      });
    });
    return pairs;
  }

  private dev(toHost: string): string {
    return `tw-${this.hostIndex.get(toHost)}`;
  }

  private veths(pairs: Set<string>): [VethEnd, VethEnd][] {
    return [...pairs].map((p) => {
      const [a, b] = p.split(' ') as [string, string];
      const end = (h: string, other: string): VethEnd => ({ host: h, netns: netnsName(this.o.runId, h), dev: this.dev(other), address: this.addressOf(h) });
      return [end(a, b), end(b, a)];
    });
  }

  private peersOf(host: string, pairs: Set<string>): string[] {
    const out: string[] = [];
    for (const p of pairs) {
      const [a, b] = p.split(' ') as [string, string];
      if (a === host) out.push(b);
      if (b === host) out.push(a);
    }
    return out;
  }

  private paired(a: string, b: string, pairs: Set<string>): boolean {
    return pairs.has(`${a} ${b}`) || pairs.has(`${b} ${a}`);
  }

  private checkLinks(pairs: Set<string>): void {
    this.s.links.forEach((l, i) => {
      const key = `links[${i}]`;
      if (l.delay > MODEL_DEFAULT_DELAY_US) {
        this.refuse(
          `${key}.delay: ${formatDuration(l.delay)} between ${l.between.join(' and ')} cannot be emulated: it needs sch_netem, which this lab does not use (and this kernel lacks)`,
          `${key}.delay ${formatDuration(l.delay)} not emulated (veth latency instead)`,
        );
      }
      if (l.jitter > 0) {
        this.refuse(`${key}.jitter: ${formatDuration(l.jitter)} cannot be emulated without sch_netem`, `${key}.jitter ignored`);
      }
      if (l.duplicate > 0) {
        this.refuse(`${key}.duplicate: ${l.duplicate} cannot be emulated without sch_netem`, `${key}.duplicate ignored`);
      }
      if (l.reorder > 0) {
        this.refuse(`${key}.reorder: ${l.reorder} cannot be emulated without sch_netem`, `${key}.reorder ignored`);
      }
      if (l.loss > 0) {
        this.refuse(
          `${key}.loss: ${l.loss} cannot be emulated faithfully without sch_netem`,
          `${key}.loss ${l.loss} as an nftables random drop of TCP segments each way (not the model's seeded choices)`,
        );
      }
      if (l.loss > 0 && !this.paired(l.between[0], l.between[1], pairs)) {
        this.notes.push(`${key}: ${l.between.join(' and ')} do not talk directly in lab; its loss has no effect`);
      }
    });
  }

  // ---------------------------------------------------------------------------------------
  // Per host

  private hostPlan(h: HostSpec, pairs: Set<string>): HostPlan {
    const key = `hosts.${h.name}`;
    if (h.whatIf?.timewaitLen !== undefined) {
      this.refuse(
        `${key}.what_if.timewait_len: a simulator-only knob; no Linux kernel lets TIME_WAIT last ${formatDuration(h.whatIf.timewaitLen)}`,
        `${key}.what_if.timewait_len ignored: TIME_WAIT lasts the kernel's 60 s`,
      );
    }
    const sysctls = this.sysctls(h);
    if (h.nat !== undefined) sysctls.push({ name: 'net.ipv4.ip_forward', path: '/proc/sys/net/ipv4/ip_forward', value: '1' });

    const routes: RoutePlan[] = [];
    const nat = this.natOf.get(h.name);
    if (nat !== undefined) {
      // Everything this host talks to through its NAT is routed via the NAT's end of their veth.
      for (const peer of this.viaNat.get(h.name) ?? []) {
        routes.push({ dst: this.addressOf(peer), via: this.addressOf(nat), dev: this.dev(nat) });
      }
    }

    const faults = this.faultRules(h.name, pairs);
    const rules = [...faults.rules, ...this.lossRules(h.name, pairs)];
    let nft = '';
    if (rules.length > 0) nft += filterTable(rules, faults.chains);
    if (h.nat !== undefined) {
      const insides = h.nat.inside.map((n) => this.addressOf(n));
      const insideDevs = h.nat.inside.filter((n) => this.paired(n, h.name, pairs)).map((n) => `"${this.dev(n)}"`);
      nft += natTable(insides, insideDevs);
    }

    return {
      name: h.name,
      netns: netnsName(this.o.runId, h.name),
      address: this.addressOf(h.name),
      scenarioAddress: h.address,
      routes,
      nft,
      agent: {
        host: h.name,
        sysctls,
        seriesIntervalMs: us2ms(this.s.series),
        durationMs: us2ms(this.s.duration),
        servers: this.serverJobs(h.name),
        clients: this.clientJobs(h.name),
        proxies: this.proxyJobs(h.name),
      },
    };
  }

  /**
   * Every per-namespace sysctl of the profile, set to the scenario's value (its defaults
   * included, so that a machine with other memory-derived defaults runs the same figures).
   * Host-wide ones are never written: lab changes nothing outside its namespaces.
   */
  private sysctls(h: HostSpec): SysctlWrite[] {
    const out: SysctlWrite[] = [];
    // The running kernel's table decides what is per namespace (they differ for linux-4.4).
    const table = this.runningProfile ?? this.s.kernel;
    for (const name of sysctlNames(this.s.kernel)) {
      const set = name in h.sysctlSet;
      let scope: 'netns' | 'host' | 'missing';
      try {
        scope = sysctlScope(table, name);
      } catch {
        scope = 'missing';
      }
      if (scope === 'netns') {
        out.push({ name, path: `/proc/sys/${name.replace(/\./g, '/')}`, value: formatSysctl(h.sysctl, name) });
        continue;
      }
      if (!set) continue;
      const why = scope === 'host' ? 'is host-wide (only the initial network namespace has it), and lab never writes host sysctls' : `does not exist on ${this.o.kernelRelease}`;
      this.refuse(`hosts.${h.name}.sysctl.${name}: ${name} ${why}`, `hosts.${h.name}.sysctl.${name} not set (the kernel's value applies)`);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Workloads

  /** Request lengths every sender towards a listener uses (clients, and proxies relaying). */
  private requestSizes(address: string, port: number, depth = 0): Set<number> {
    const sizes = new Set<number>();
    if (depth > 16) return sizes;
    for (const c of this.s.clients) if (c.target.address === address && c.target.port === port) sizes.add(c.requestBytes);
    for (const p of this.s.proxies) {
      if (!p.upstreams.some((u) => u.address === address && u.port === port)) continue;
      const host = this.s.hosts.find((h) => h.name === p.host)!;
      for (const n of this.requestSizes(host.address, p.port, depth + 1)) sizes.add(n);
    }
    return sizes;
  }

  private framing(address: string, port: number, key: string): RequestFraming {
    const sizes = [...this.requestSizes(address, port)];
    if (sizes.length === 0) return { kind: 'fixed', bytes: 0 };
    if (sizes.length === 1) return { kind: 'fixed', bytes: sizes[0]! };
    if (sizes.every((n) => n >= FRAME_HEADER_BYTES)) return { kind: 'framed' };
    this.problems.push(
      `${key}: its senders send requests of ${sizes.sort((a, b) => a - b).join(', ')} bytes; lab tells requests apart by a ` +
        `${FRAME_HEADER_BYTES}-byte length header, so when they differ each must be at least ${FRAME_HEADER_BYTES} bytes`,
    );
    return { kind: 'framed' };
  }

  /** The response length behind an endpoint: a server's response_bytes, or what a proxy relays from its first upstream. */
  private responseSize(address: string, port: number, depth = 0): number {
    const host = this.hostByAddress.get(address);
    if (host === undefined || depth > 16) return 0;
    const server = this.s.servers.find((x) => x.host === host.name && x.port === port);
    if (server !== undefined) return server.responseBytes;
    const proxy = this.s.proxies.find((x) => x.host === host.name && x.port === port);
    const first = proxy?.upstreams[0];
    return first === undefined ? 0 : this.responseSize(first.address, first.port, depth + 1);
  }

  private linger(l: Linger, key: string, blocksOthers: boolean): number | null {
    if (!l.on) return null;
    if (l.timeout === 0) return 0; // socket.resetAndDestroy(): SO_LINGER {1, 0} and close
    if (l.timeout % 1_000_000 !== 0) {
      this.problems.push(`${key}: ${formatDuration(l.timeout)}: SO_LINGER takes whole seconds`);
    }
    if (!this.o.sockopts) {
      this.problems.push(`${key}: Node's net cannot set SO_LINGER with a timeout; install the optional dependency koffi (npm install koffi) so that lab can`);
    }
    if (blocksOthers) {
      this.refuse(
        `${key}: with a linger timeout close() blocks until the data is acknowledged or the timeout ends, and the agent serves every connection of its host on one thread, so the others would stall with it`,
        `${key}: close() blocks the host's agent while it lingers`,
      );
    }
    return Math.round(l.timeout / 1_000_000);
  }

  private serverJobs(host: string): ServerJob[] {
    const address = this.s.hosts.find((h) => h.name === host)!.address;
    const out: ServerJob[] = [];
    this.s.servers.forEach((sv, index) => {
      if (sv.host !== host) return;
      const key = `servers[${index}]`;
      out.push({
        index,
        port: sv.port,
        close: sv.close,
        linger: this.linger(sv.linger, `${key}.linger`, true),
        responseBytes: sv.responseBytes,
        backlog: sv.backlog,
        framing: this.framing(address, sv.port, key),
      });
    });
    return out;
  }

  private clientJobs(host: string): ClientJob[] {
    const out: ClientJob[] = [];
    this.s.clients.forEach((c, index) => {
      if (c.host !== host) return;
      const key = `clients[${index}]`;
      const raw = this.needsRaw(c, key);
      const bind = c.bind === null ? null : { address: c.bind.address === '0.0.0.0' ? '0.0.0.0' : this.addressOf(host), port: c.bind.port };
      out.push({
        index,
        target: { address: this.labTargetAddress(c.target), port: c.target.port },
        count: c.count,
        rate: c.rate,
        startMs: us2ms(c.start),
        close: c.close,
        holdMs: us2ms(c.hold),
        requestBytes: c.requestBytes,
        responseBytes: this.responseSize(c.target.address, c.target.port),
        linger: this.linger(c.linger, `${key}.linger`, c.rate.kind === 'open'),
        bind,
        reuseaddr: c.reuseaddr,
        reuseport: c.reuseport,
        bindAddressNoPort: c.bindAddressNoPort,
        recordPorts: c.recordPorts,
        raw,
      });
    });
    return out;
  }

  /** Whether the client's socket options need the FFI; a problem when it is missing. */
  private needsRaw(c: ClientSpec, key: string): boolean {
    const reasons: [string, string][] = [];
    if (c.reuseaddr && c.bind === null) reasons.push(['reuseaddr', 'Node\'s net sets SO_REUSEADDR only when it binds']);
    if (!c.reuseaddr && c.bind !== null) reasons.push(['reuseaddr', 'Node\'s net always sets SO_REUSEADDR when it binds (libuv), and the scenario has it off']);
    if (c.reuseport) reasons.push(['reuseport', 'Node 20\'s net cannot set SO_REUSEPORT on a client socket']);
    if (c.bindAddressNoPort) reasons.push(['bind_address_no_port', 'Node\'s net cannot set IP_BIND_ADDRESS_NO_PORT']);
    if (reasons.length === 0) return false;
    if (this.o.sockopts) return true;
    for (const [k, why] of reasons) {
      this.refuse(`${key}.${k}: ${why}; install the optional dependency koffi (npm install koffi) so that lab can set it`, `${key}.${k}: Node's defaults used instead`);
    }
    return false;
  }

  private labTargetAddress(ep: Endpoint): string {
    const host = ep.host ?? this.hostByAddress.get(ep.address)?.name;
    return host === undefined ? ep.address : this.addressOf(host);
  }

  private proxyJobs(host: string): ProxyJob[] {
    const address = this.s.hosts.find((h) => h.name === host)!.address;
    const out: ProxyJob[] = [];
    this.s.proxies.forEach((p, index) => {
      if (p.host !== host) return;
      out.push({
        index,
        port: p.port,
        upstreams: p.upstreams.map((u) => ({ address: this.labTargetAddress(u), port: u.port, responseBytes: this.responseSize(u.address, u.port) })),
        upstreamClose: p.upstreamClose,
        keepalive: p.keepalive,
        framing: this.framing(address, p.port, `proxies[${index}]`),
      });
    });
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Faults and loss as nftables rules in the receiving namespace

  /**
   * The model applies a fault to a segment as its sender puts it on the wire (first hop).
   * Lab drops it where that hop ends, in the prerouting hook of the namespace at the other
   * end of the sender's veth: to the sender's kernel it is lost on the wire, as in the model.
   */
  private faultRules(receiver: string, pairs: Set<string>): { rules: string[]; chains: string[] } {
    const rules: string[] = [];
    const chains: string[] = [];
    this.s.faults.forEach((f, i) => {
      const hops = this.faultHops(f, i, pairs);
      if (!hops.includes(receiver)) return;
      rules.push(...faultRulesFor(f, i, this.dev(f.from), this.addressOf(f.from), f.to === undefined ? undefined : this.addressOf(f.to)));
      chains.push(`  chain ${faultChain(i)} {`, `    ${faultVerdict(f)}`, '  }');
    });
    return { rules, chains };
  }

  /** The namespaces where the fault's segments arrive first; [] when refused. Memoised per fault. */
  private readonly hopsCache = new Map<number, string[]>();
  private faultHops(f: FaultSpec, i: number, pairs: Set<string>): string[] {
    const cached = this.hopsCache.get(i);
    if (cached !== undefined) return cached;
    const key = `faults[${i}]`;
    const ok = this.checkFault(f, key);
    let hops: string[] = [];
    if (ok) {
      if (f.to !== undefined) {
        const nat = this.natOf.get(f.from);
        const next = nat !== undefined && nat !== this.natOf.get(f.to) && f.to !== nat ? nat : f.to;
        hops = this.paired(f.from, next, pairs) ? [next] : [];
        if (hops.length === 0) this.notes.push(`${key}: ${f.from} sends nothing to ${f.to} in this scenario; the fault has no effect`);
      } else {
        hops = this.peersOf(f.from, pairs);
        if (hops.length > 1 && (f.nth !== undefined || f.count !== undefined)) {
          this.problems.push(
            `${key}: nth/count without "to" on a host that talks to ${hops.length} hosts: lab drops in each receiving namespace and cannot share one count between them; add "to"`,
          );
          hops = [];
        }
      }
    }
    this.hopsCache.set(i, hops);
    return hops;
  }

  private checkFault(f: FaultSpec, key: string): boolean {
    let ok = true;
    if (f.senderState !== undefined) {
      this.refuse(
        `${key}.sender_state: the kernel cannot match a segment by its sender socket's state (${f.senderState}) in a packet filter`,
        `${key} not applied (sender_state cannot be matched)`,
      );
      ok = false;
    }
    if (f.action.kind !== 'drop') {
      const what = f.action.kind === 'delay' ? `delay ${formatDuration(f.action.by)}` : `duplicate_after ${formatDuration(f.action.after)}`;
      this.refuse(`${key}.action: ${what} cannot be done by nftables (only drop); it needs sch_netem or a queue in user space`, `${key} not applied (${what})`);
      ok = false;
    }
    for (const host of [f.from, f.to]) {
      if (host === undefined) continue;
      if (this.natOf.has(host) || this.s.hosts.find((h) => h.name === host)?.nat !== undefined) {
        this.refuse(`${key}: faults on hosts inside or running a NAT are not supported in lab`, `${key} not applied (NAT)`);
        return false;
      }
    }
    return ok;
  }

  private lossRules(receiver: string, pairs: Set<string>): string[] {
    if (!this.o.approximate) return [];
    const rules: string[] = [];
    for (const l of this.s.links) {
      if (l.loss <= 0 || !this.paired(l.between[0], l.between[1], pairs)) continue;
      const [a, b] = l.between;
      const from = receiver === a ? b : receiver === b ? a : undefined;
      if (from === undefined) continue;
      const threshold = Math.round(l.loss * LOSS_SCALE);
      rules.push(`iifname "${this.dev(from)}" meta l4proto tcp numgen random mod ${LOSS_SCALE} < ${threshold} counter drop`);
    }
    return rules;
  }
}

// -----------------------------------------------------------------------------------------
// nftables text

const NFT_FLAG: Readonly<Record<string, string>> = { S: 'syn', A: 'ack', F: 'fin', R: 'rst', P: 'psh' };
const FLAG_MASK = '(fin|syn|rst|psh|ack)';
/** TCP data offsets (header lengths in words) a segment can have: 5 (20 bytes) .. 15 (60). */
const DOFFS = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
/** IPv4 header without options (ihl 5): 20 bytes. */
const IP_HEADER = 20;

/** A chain per fault holds its count (nth/count), so every rule variant of it shares one. */
export function faultChain(i: number): string {
  return `fault${i}`;
}

/**
 * The rules that send a fault's segments to its chain: sender address, destination, exact
 * flags (the model's flag set among S A F R P) and, with `payload`, whether the TCP segment
 * carries data: IP total length against the header lengths, one rule per data offset.
 */
export function faultRulesFor(f: FaultSpec, i: number, iifname: string, from: string, to: string | undefined): string[] {
  let match = `iifname "${iifname}" ip saddr ${from}`;
  if (to !== undefined) match += ` ip daddr ${to}`;
  match += ' meta l4proto tcp';
  if (f.flags !== undefined) {
    const set = [...f.flags].map((c) => NFT_FLAG[c]).join('|');
    match += ` tcp flags & ${FLAG_MASK} == ${set === '' ? '0x0' : set}`;
  }
  const jump = `jump ${faultChain(i)}`;
  if (f.payload === undefined) return [`${match} ${jump}`];
  const cmp = f.payload ? '>' : '==';
  return DOFFS.map((d) => `${match} ip hdrlength 5 tcp doff ${d} ip length ${cmp} ${IP_HEADER + 4 * d} ${jump}`);
}

/** What the fault's chain does with a matching segment: the nth only, the first `count`, or all. */
export function faultVerdict(f: FaultSpec): string {
  if (f.nth !== undefined) return `numgen inc mod ${NUMGEN_MOD} == ${f.nth - 1} counter drop`;
  if (f.count !== undefined) return `numgen inc mod ${NUMGEN_MOD} < ${f.count} counter drop`;
  return 'counter drop';
}

function filterTable(rules: string[], chains: string[]): string {
  return [
    'table inet twlab {',
    '  chain prerouting {',
    '    type filter hook prerouting priority raw; policy accept;',
    ...rules.map((r) => `    ${r}`),
    '  }',
    ...chains,
    '}',
    '',
  ].join('\n');
}

function natTable(insides: string[], insideDevs: string[]): string {
  const notInside = insideDevs.length > 0 ? ` oifname != { ${insideDevs.join(', ')} }` : '';
  return [
    'table ip twlab_nat {',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr { ${insides.join(', ')} }${notInside} masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}
