// Inspection -> Prometheus metrics, with prom-client (docs/architecture.md, Dependencies).
// A fresh Registry per scrape: nothing is shared between two scrapes, so concurrent ones
// cannot mix their figures. Names keep twlab's vocabulary: TCP states as netstat prints
// them, counters under their nstat names, sysctls under their sysctl(8) names.

import { Counter, Gauge, Registry } from 'prom-client';
import type { Inspection } from '../inspect/analyze.js';
import { TCP_STATES } from '../tcp/state.js';

export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** What a scrape adds about itself. */
export interface ScrapeInfo {
  /** Failed scrape stages since the exporter started, by stage ("read", "analyze", "render", "http"). */
  errors: ReadonlyMap<string, number>;
  scrapes: number;
  durationS: number;
}

export interface MetricsOptions {
  /** Per-destination series for the top N destinations by ports in use; 0 for none. */
  destinations: number;
  /** Per-listener series for the top N listeners by fill of their accept queue; 0 (the default) for none. */
  listeners?: number;
}

/** Stages that may fail; each has an error series from the first scrape on. */
export const SCRAPE_STAGES = ['read', 'analyze', 'render', 'http'] as const;

export async function renderMetrics(ins: Inspection | undefined, info: ScrapeInfo, options: MetricsOptions): Promise<string> {
  const registers = [new Registry()];
  const reg = registers[0] as Registry;

  const errors = new Counter({ name: 'twlab_scrape_errors_total', help: 'Scrape stages that failed since the exporter started', labelNames: ['stage'], registers });
  for (const stage of SCRAPE_STAGES) errors.inc({ stage }, info.errors.get(stage) ?? 0);
  new Counter({ name: 'twlab_scrapes_total', help: 'Scrapes served since the exporter started', registers }).inc(info.scrapes);
  new Gauge({ name: 'twlab_scrape_duration_seconds', help: 'Time this scrape took to read the host (netlink sock_diag and /proc) and analyse it', registers }).set(info.durationS);

  if (ins !== undefined) {
    addInspection(ins, registers, options);
  }
  return reg.metrics();
}

function addInspection(ins: Inspection, registers: Registry[], options: MetricsOptions): void {
  if (ins.kernel.release !== null) {
    new Gauge({ name: 'twlab_kernel_info', help: 'Kernel release of the inspected host (value 1)', labelNames: ['release'], registers }).set({ release: ins.kernel.release }, 1);
  }

  const sockets = new Gauge({ name: 'twlab_sockets', help: 'TCP sockets by state (netstat names) and address family', labelNames: ['state', 'family'], registers });
  for (const state of TCP_STATES) {
    sockets.set({ state, family: 'ipv4' }, ins.sockets.ipv4[state]);
    sockets.set({ state, family: 'ipv6' }, ins.sockets.ipv6[state]);
  }
  new Gauge({ name: 'twlab_orphaned_fin_wait_2_sockets', help: 'FIN_WAIT_2 sockets no process holds (closed here, the peer has not closed)', registers }).set(
    ins.owners.orphaned_fin_wait_2,
  );

  new Gauge({
    name: 'twlab_close_wait_not_accepted_sockets',
    help: 'CLOSE_WAIT sockets never accept()ed: the peer closed while they waited in a listener\'s accept queue (inode 0)',
    registers,
  }).set(ins.owners.close_wait.not_accepted);

  const m = ins.memory;
  new Gauge({ name: 'twlab_timewait_sockets', help: 'Timewait sockets: TIME_WAIT plus orphaned FIN_WAIT_2', registers }).set(m.timewait_sockets);
  new Gauge({ name: 'twlab_timewait_socket_bytes', help: 'Bytes per timewait socket (tw_sock_TCP objsize in /proc/slabinfo, else 256)', registers }).set(m.bytes_per_timewait);
  new Gauge({ name: 'twlab_timewait_memory_bytes', help: 'Memory held by timewait sockets: count x bytes each', registers }).set(m.timewait_bytes);
  if (m.slab_bytes !== null) {
    const slab = new Gauge({ name: 'twlab_slab_bytes', help: 'Slab memory of the TCP socket caches, whole host (/proc/slabinfo)', labelNames: ['cache'], registers });
    for (const [cache, b] of Object.entries(m.slab_bytes)) slab.set({ cache }, b);
  }

  const p = ins.ports;
  const range = new Gauge({ name: 'twlab_ip_local_port_range', help: 'net.ipv4.ip_local_port_range bounds', labelNames: ['bound'], registers });
  range.set({ bound: 'low' }, p.range[0]);
  range.set({ bound: 'high' }, p.range[1]);
  new Gauge({ name: 'twlab_ephemeral_ports_usable', help: 'Ports connect() may pick per destination: the range less reserved and bound ports', registers }).set(p.usable);

  if (options.destinations > 0) {
    const labelNames = ['destination', 'source'];
    const inUse = new Gauge({ name: 'twlab_destination_ports_in_use', help: 'Ephemeral ports in use towards a destination (top N by use)', labelNames, registers });
    const free = new Gauge({ name: 'twlab_destination_ports_free', help: 'Ephemeral ports still free towards a destination', labelNames, registers });
    const tw = new Gauge({ name: 'twlab_destination_time_wait_sockets', help: 'TIME_WAIT sockets towards a destination', labelNames, registers });
    const rate = new Gauge({
      name: 'twlab_destination_sustainable_connections_per_second',
      help: 'New connections per second the range sustains to a destination: ports not held open / 60 s (TIME_WAIT), or / tw_reuse_delay when tcp_tw_reuse applies',
      labelNames,
      registers,
    });
    for (const d of ins.destinations.slice(0, options.destinations)) {
      const labels = { destination: d.destination, source: d.source };
      inUse.set(labels, d.ports_in_use);
      free.set(labels, d.free_ports);
      tw.set(labels, d.by_state.TIME_WAIT ?? 0);
      rate.set(labels, d.sustainable_with_reuse_per_s ?? d.sustainable_per_s);
    }
  }

  // Accept queues: two series whatever the number of listeners; per listener only on request
  // (each listener is a new label value), the fullest first as inspect lists them.
  const lq = ins.listen_queues;
  new Gauge({ name: 'twlab_listen_queued_connections', help: 'Connections waiting for accept() over every listener (ss -ltn Recv-Q summed)', registers }).set(lq.queued);
  if (lq.max_fill !== null) {
    new Gauge({
      name: 'twlab_listen_queue_max_fill_ratio',
      help: "The fullest listener's accept queue over its backlog; past 1 the kernel drops new handshakes (TcpExtListenOverflows)",
      registers,
    }).set(lq.max_fill);
  }
  const topListeners = options.listeners ?? 0;
  if (topListeners > 0) {
    const labelNames = ['listener'];
    const queued = new Gauge({ name: 'twlab_listener_queued_connections', help: 'Connections waiting for accept() on a listener (ss -ltn Recv-Q; top N by fill)', labelNames, registers });
    const backlog = new Gauge({ name: 'twlab_listener_backlog', help: "A listener's backlog: listen()'s, capped at net.core.somaxconn (ss -ltn Send-Q)", labelNames, registers });
    for (const l of ins.listeners.slice(0, topListeners)) {
      queued.set({ listener: l.listener }, l.queued);
      if (l.backlog !== null) backlog.set({ listener: l.listener }, l.backlog);
    }
  }

  // Kernel counters: monotonic since boot (or since the namespace was made), under nstat names.
  for (const [name, value] of Object.entries(ins.counters ?? {})) {
    new Counter({ name: `twlab_nstat_${name}_total`, help: `${name} from /proc/net/snmp or /proc/net/netstat (nstat name)`, registers }).inc(Math.max(0, value));
  }

  const sysctl = new Gauge({ name: 'twlab_sysctl', help: 'Numeric TCP sysctls as /proc/sys shows them (sysctl(8) names)', labelNames: ['name'], registers });
  for (const row of ins.sysctls) {
    if (row.value !== null && /^-?\d+$/.test(row.value)) sysctl.set({ name: row.name }, Number(row.value));
  }
}
