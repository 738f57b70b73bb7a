// Findings (what is the case) and advice (what to do, why, and the command) from an
// inspection, in plain words tied to this kernel. Pure: the same analysis and options give
// the same list. The kernel facts each item rests on are in shared/spec/linux-tcp-behaviour.md
// and docs/fidelity.md (measured on 6.18); each item names the rule it applies.

import { bytes, thousands } from '../report/format.js';
import type { Advice, Analysis, DestinationUse, Finding, Inspection, ListenerQueue } from './analyze.js';
import { TIMEWAIT_LEN_S } from './analyze.js';
import { isLoopback } from './address.js';
import type { Role } from './options.js';

export interface AdviseOptions {
  /** What this host does; inferred from its sockets when absent. */
  role?: Role;
  /** Its clients, or itself, reach the other side through NAT (many hosts behind one address). */
  behindNat?: boolean;
}

export interface Advised {
  role: Role;
  /** True when the role was inferred from the sockets. */
  roleInferred: boolean;
  findings: Finding[];
  advice: Advice[];
}

/** A destination is close to running out when this share of its ports is in use. */
const PORTS_WARN = 0.5;
const PORTS_CRITICAL = 0.9;
/** The last minute's rate is worrying at this share of the sustainable one. */
const RATE_WARN = 0.5;
/** An accept queue is nearly full at this share of its backlog. */
const QUEUE_WARN = 0.9;
/** tcp_max_tw_buckets is near at this share. */
const BUCKETS_WARN = 0.8;
/** How many destinations and processes findings name one by one. */
const NAMED = 3;
/** The widest range connect() may use: ip_unprivileged_port_start (1024) .. 65535. */
const WIDE_RANGE: [number, number] = [1024, 65535];

const n = thousands;
const pct = (x: number): string => `${Math.round(x * 100)}%`;
const rate = (x: number): string => `${x >= 10 ? n(x) : x.toFixed(1)}/s`;

/** Outgoing and incoming sockets (LISTEN and CLOSE aside) decide the role when none is given: all of them, not the listed destinations. */
export function inferRole(ins: Inspection): Role {
  const outgoing = ins.sockets.outgoing;
  const incoming = Math.max(0, ins.sockets.total - ins.sockets.by_state.LISTEN - ins.sockets.by_state.CLOSE - outgoing);
  if (outgoing > 0 && incoming > 0) return 'proxy';
  if (outgoing > 0) return 'client';
  return 'server';
}

/**
 * After "N CLOSE_WAIT socket(s)": why no process is named. Not visible (and whether root would
 * see it) or not looked up: one or the other, never both. In a dump without inodes (ss -p
 * without -e) a CLOSE_WAIT without a process may be one never accepted, which no process
 * holds (socket-owners.ts), so root is not promised to name it.
 */
function unseenWhy(ins: Inspection, notLookedUp: number): string {
  const file = ins.source.kind === 'file';
  if (notLookedUp > 0) return file ? `; the dump does not name processes (save it with ${SAVE_DUMP})` : ' whose process was not looked up';
  if ((ins.owners.unreadable_processes ?? 0) > 0) return ' whose process could not be seen (run as root to see it)';
  if (file && !ins.owners.inodes) {
    return (
      ' without a process in the dump: saved without -e (the inode), a CLOSE_WAIT still in an accept queue cannot be told from ' +
      `one whose process was not listed (ss -p lists other users' only as root); save it with ${SAVE_DUMP}`
    );
  }
  if (file) return " without a process in the dump, though a file refers to it (its inode): ss -p lists other users' processes only as root";
  return ' that no process holds in /proc/PID/fd (a kernel socket, or its process exited while inspect looked)';
}

/** How to save a dump that names every owner and tells never-accepted CLOSE_WAIT apart. */
const SAVE_DUMP = 'ss -tanpe as root';

function sysctlValue(ins: Inspection, name: string): string | null {
  return ins.sysctls.find((r) => r.name === name)?.value ?? null;
}

/** `sysctl -w` now and a line in /etc/sysctl.d to keep it after a reboot. */
function sysctlCommands(name: string, value: string): string[] {
  const shown = value.includes(' ') ? `"${value}"` : value;
  return [`sysctl -w ${name}=${shown}`, `echo '${name} = ${value}' >> /etc/sysctl.d/90-twlab.conf`];
}

export function advise(analysis: Analysis, options: AdviseOptions = {}): Advised {
  const ins = analysis.inspection;
  const s = analysis.sysctls;
  const role = options.role ?? inferRole(ins);
  const findings: Finding[] = [];
  const advice: Advice[] = [];
  const clientSide = role === 'client' || role === 'proxy';
  const serverSide = role === 'server' || role === 'proxy';
  /** After a sysctl's value: said when the value is not this host's but a default. */
  const where = analysis.sysctlsAssumed ? ', an assumed default' : '';
  const reuseDelay = ins.kernel.tw_reuse_delay_exists === false ? 'about 1 s' : `${s.tcp_tw_reuse_delay} ms (tcp_tw_reuse_delay)`;
  const [lo, hi] = s.ip_local_port_range;

  // --- Ephemeral ports per destination (inet_hashtables.c __inet_hash_connect). ---
  const busy = ins.destinations.filter((d) => d.use_ratio >= PORTS_WARN || (d.sustainable_per_s > 0 && d.recent_per_s >= RATE_WARN * d.sustainable_per_s));
  for (const d of busy.slice(0, NAMED)) {
    const severity = d.use_ratio >= PORTS_CRITICAL ? 'critical' : 'warning';
    findings.push({
      id: 'ports-per-destination',
      severity,
      summary:
        `${d.destination} (from ${d.source}): ${n(d.ports_in_use)} of ${n(d.usable_ports)} usable ports in use (${pct(d.use_ratio)}), ` +
        `${n(d.free_ports)} free; ${n(d.by_state.TIME_WAIT ?? 0)} in TIME_WAIT.`,
      detail:
        `Each connection this host opens to ${d.destination} and closes first keeps its port for ${TIMEWAIT_LEN_S} s (TIME_WAIT). ` +
        `The last minute ran at about ${rate(d.recent_per_s)}; the most this range sustains is ${rate(d.sustainable_per_s)}` +
        (d.tw_reuse_applies
          ? `, or ${rate(d.sustainable_with_reuse_per_s ?? 0)} with tcp_tw_reuse reusing ports after ${reuseDelay}.`
          : `. Beyond that connect() fails with EADDRNOTAVAIL ("Cannot assign requested address").`),
    });
  }
  if (clientSide) {
    const worst: DestinationUse | undefined = busy[0] ?? ins.destinations.find((d) => (d.by_state.TIME_WAIT ?? 0) > 0);
    if (worst) {
      advice.push({
        id: 'keep-alive',
        action: `Reuse connections to ${worst.destination} (HTTP keep-alive, a connection pool) instead of one connection per request.`,
        reason:
          `${n(worst.by_state.TIME_WAIT ?? 0)} TIME_WAIT to it now: every short connection parks a port for ${TIMEWAIT_LEN_S} s. ` +
          'A pooled connection needs no new port and leaves no TIME_WAIT; nothing else raises the ceiling as much.',
        commands: [`ss -Htan state time-wait dst ${worst.destination} | wc -l`],
      });
      const nonLoopback = ins.destinations.some((d) => (d.by_state.TIME_WAIT ?? 0) > 0 && !isLoopback(d.address));
      if (s.tcp_tw_reuse !== 1 && s.tcp_timestamps !== 0 && nonLoopback) {
        const cycling = Math.max(0, worst.usable_ports - worst.held_open);
        const withReuse = cycling / (s.tcp_tw_reuse_delay / 1000);
        advice.push({
          id: 'tw-reuse',
          action: 'Let connect() reuse ports held by TIME_WAIT: net.ipv4.tcp_tw_reuse = 1.',
          reason:
            `It is ${s.tcp_tw_reuse}${where}` +
            (s.tcp_tw_reuse === 2 ? ', which reuses only loopback connections; ' : '; ') +
            `with 1, a TIME_WAIT port becomes reusable by a new outgoing connection to the same destination after ${reuseDelay}, ` +
            `so ${worst.destination} could sustain about ${rate(withReuse)} instead of ${rate(worst.sustainable_per_s)}. ` +
            'It is safe for outgoing connections because timestamps (PAWS) tell the old segments apart; it does nothing for connections this host accepts.',
          commands: sysctlCommands('net.ipv4.tcp_tw_reuse', '1'),
        });
      }
      if (hi - lo + 1 < WIDE_RANGE[1] - WIDE_RANGE[0] + 1) {
        const unusable = hi - lo + 1 - worst.usable_ports;
        const wider = Math.max(0, WIDE_RANGE[1] - WIDE_RANGE[0] + 1 - unusable - worst.held_open) / TIMEWAIT_LEN_S;
        advice.push({
          id: 'port-range',
          action: `Widen the ephemeral port range: net.ipv4.ip_local_port_range = "${WIDE_RANGE[0]} ${WIDE_RANGE[1]}".`,
          reason:
            `It is ${lo}-${hi}, ${n(hi - lo + 1)} ports${where}. Every destination gets the whole range, so ${worst.destination} ` +
            `would sustain about ${rate(wider)} instead of ${rate(worst.sustainable_per_s)}. First list the services listening in the new ` +
            'range and put their ports in ip_local_reserved_ports, or connect() may take a port a service wants to bind later.',
          commands: [
            `ss -tlnH | awk '{print $4}' | sed 's/.*://' | sort -un | awk '$1 >= ${WIDE_RANGE[0]} && $1 < ${lo}'`,
            ...sysctlCommands('net.ipv4.ip_local_port_range', `${WIDE_RANGE[0]} ${WIDE_RANGE[1]}`),
          ],
        });
      }
      if (busy.length > 0) {
        advice.push({
          id: 'more-destinations',
          action: `Spread connections over more destination addresses or ports (more backend IPs, several listening ports).`,
          reason:
            'Ports are unique per 4-tuple: each destination address:port has its own full range, so two backend addresses double the ceiling.',
          commands: [`ss -tan state time-wait | awk 'NR>1 {print $4}' | sort | uniq -c | sort -rn | head`],
        });
      }
    }
    if (s.tcp_timestamps === 0) {
      findings.push({
        id: 'timestamps-off',
        severity: 'warning',
        summary: `net.ipv4.tcp_timestamps is 0${where}.`,
        detail: 'Without timestamps tcp_tw_reuse never reuses a TIME_WAIT port and PAWS cannot reject old duplicates.',
      });
      advice.push({
        id: 'timestamps-on',
        action: 'Turn TCP timestamps back on: net.ipv4.tcp_timestamps = 1.',
        reason: 'tcp_tw_reuse needs them, and since 4.10 each connection gets its own random offset, so they leak no uptime and are NAT-safe.',
        commands: sysctlCommands('net.ipv4.tcp_timestamps', '1'),
      });
    }
  }
  if (role === 'proxy') {
    advice.push({
      id: 'bind-no-port',
      action: 'If the proxy bind()s a source address before connect(), set IP_BIND_ADDRESS_NO_PORT on those sockets (HAProxy: source ... ; Envoy: upstream_bind_config).',
      reason:
        'bind() picks the port before the destination is known, so each port serves one connection across all backends and the range runs out ' +
        'at range-size connections in total; IP_BIND_ADDRESS_NO_PORT lets connect() choose per destination.',
      commands: ['strace -f -e trace=bind,connect -p PID 2>&1 | head   # PID: a proxy worker'],
    });
  }

  // --- Accept queues: a listener whose queue holds more than its backlog drops the next
  // handshakes (sock.h sk_acceptq_is_full; tcp_input.c tcp_conn_request drops the SYN,
  // tcp_ipv4.c tcp_v4_syn_recv_sock the final ACK, each bumping LINUX_MIB_LISTENOVERFLOWS and
  // then LISTENDROPS). Only listeners with a known backlog can be judged. ---
  const fullQueues = ins.listeners.filter((l) => l.fill !== null && l.fill >= QUEUE_WARN);
  // Full as the kernel counts it: one more than the backlog (sk_acceptq_is_full tests >). At
  // the backlog itself it still takes one; both are critical, one connection apart.
  const atBacklog = (l: ListenerQueue): boolean => l.backlog !== null && l.queued >= l.backlog;
  const isFull = (l: ListenerQueue): boolean => l.backlog !== null && l.queued > l.backlog;
  const fullness = (l: ListenerQueue): string => (isFull(l) ? 'full' : atBacklog(l) ? 'at its backlog, one connection from full' : 'nearly full');
  const overflows = listenCounters(ins);
  for (const l of fullQueues.slice(0, NAMED)) {
    findings.push({
      id: 'listen-queue-full',
      severity: atBacklog(l) ? 'critical' : 'warning',
      summary: `Listener ${l.listener}${ownersText(l)}: accept ${queueText(l)} (${pct(l.fill ?? 0)}), ${fullness(l)}${overflows ? `; ${overflows}` : ''}.`,
      detail:
        'These connections finished the handshake and wait for the application to call accept(). Once the queue holds one more than ' +
        'the backlog the kernel drops each new SYN and final ACK, counting them in TcpExtListenOverflows and TcpExtListenDrops; ' +
        'clients see connect() stall and their SYN retried. ' +
        `The backlog is what listen() asked for, capped at net.core.somaxconn (${n(s.somaxconn)}${where})` +
        (l.backlog === s.somaxconn ? ': it is at that cap, so a larger one needs net.core.somaxconn raised too.' : '.'),
    });
  }

  // --- CLOSE_WAIT: the application never called close() (tcp.c: no timer in CLOSE_WAIT), or
  // never accept()ed the connection. Every figure is a class of owners.close_wait
  // (socket-owners.ts), each socket in one. ---
  const cw = ins.owners.close_wait;
  const holders = ins.processes.filter((p) => p.close_wait > 0);
  for (const p of holders.slice(0, NAMED)) {
    findings.push({
      id: 'close-wait',
      severity: 'warning',
      summary: `pid ${p.pid} (${p.command}) holds ${n(p.close_wait)} CLOSE_WAIT socket(s)${p.close_wait_ports.length ? ` on port ${p.close_wait_ports.join(', ')}` : ''}.`,
      detail:
        'The peer closed its side and the application has not called close(). The kernel never times CLOSE_WAIT out: ' +
        'each one keeps its socket, buffers and file descriptor until the process closes it or exits.',
    });
  }
  const unseen = cw.not_visible + cw.not_looked_up;
  if (unseen > 0) {
    findings.push({
      id: 'close-wait',
      severity: 'warning',
      summary: `${n(unseen)} CLOSE_WAIT socket(s)${unseenWhy(ins, cw.not_looked_up)}.`,
      detail: 'The peer closed and the local application has not: CLOSE_WAIT lasts until it calls close().',
    });
  }
  const queues = ins.processes.filter((p) => p.close_wait_not_accepted > 0);
  const queueDetail =
    "The peer connected and closed before the application called accept(): the connection waits in the listener's accept queue, " +
    'in CLOSE_WAIT, until accept() takes it (a read then returns EOF at once). Its accept loop is stalled or slower than the ' +
    'connections arriving; close() is not the problem, and no timer ends them.';
  for (const p of queues.slice(0, NAMED)) {
    findings.push({
      id: 'close-wait-not-accepted',
      severity: 'warning',
      summary:
        `pid ${p.pid} (${p.command}) has not accepted ${n(p.close_wait_not_accepted)} connection(s) the peer already closed (CLOSE_WAIT) ` +
        `in the accept queue of its listener on port ${p.not_accepted_ports.join(', ')}.`,
      detail: queueDetail,
    });
  }
  if (cw.not_accepted_no_owner > 0) {
    const root = (ins.owners.unreadable_processes ?? 0) > 0 ? ': run as root to see it' : '';
    // Not found only where owners were looked up; a /proc/net/tcp or netstat -e dump names none.
    const whose = ins.owners.seen
      ? ` whose process could not be found${root}`
      : ins.source.kind === 'file'
        ? `: the dump names no processes (save it with ${SAVE_DUMP})`
        : ': its process was not looked up';
    findings.push({
      id: 'close-wait-not-accepted',
      severity: 'warning',
      summary:
        `${n(cw.not_accepted_no_owner)} CLOSE_WAIT socket(s) never accepted, in the accept queue of a listener ` +
        `(port ${cw.not_accepted_ports.join(', ')})${whose}.`,
      detail: queueDetail,
    });
  }
  const open = cw.held + unseen;
  if (open > 0) {
    const p = holders[0];
    // Without inodes a dump cannot tell a CLOSE_WAIT no process holds from one never accepted.
    const maybeQueued =
      ins.source.kind === 'file' && !ins.owners.inodes && unseen > 0
        ? ` (the ${n(unseen)} the dump names no process for may instead wait in an accept queue: without -e it cannot tell)`
        : '';
    advice.push({
      id: 'fix-close-wait',
      action: p
        ? `Fix ${p.command} (pid ${p.pid}): close the socket when a read returns 0 (EOF) or fails, and give idle connections a timeout.`
        : 'Find the process holding the CLOSE_WAIT sockets and make it close the socket when a read returns 0 (EOF) or fails.',
      reason:
        `${n(open)} CLOSE_WAIT now held open by the application${maybeQueued}${cw.not_accepted > 0 ? ` (and ${n(cw.not_accepted)} never accepted, below)` : ''}. ` +
        'No sysctl ends CLOSE_WAIT: tcp_fin_timeout does not apply to it, and keepalive ' +
        '(only on sockets with SO_KEEPALIVE, after tcp_keepalive_time, 2 h by default) can at most reset one whose peer is gone, ' +
        'leaving the descriptor open; only the application frees it, by calling close(). Restarting the process frees them but the leak comes back.',
      commands: p ? ['ss -tanp state close-wait', `ls -l /proc/${p.pid}/fd | grep -c socket`] : ['ss -tanp state close-wait'],
    });
  }
  if (cw.not_accepted > 0) {
    // One advice, for the process with the most queued: its own count and ports; the other
    // listeners' share in a sentence (each socket counts once per process, so the rest is exact).
    const q = queues[0];
    const ports = q ? q.not_accepted_ports : cw.not_accepted_ports;
    const portText = `port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`;
    const own = q ? q.close_wait_not_accepted : cw.not_accepted;
    const rest = cw.not_accepted - own;
    const others = queues.slice(1);
    const elsewhere = [
      ...others.slice(0, NAMED).map((o) => `pid ${o.pid} (${o.command}) ${n(o.close_wait_not_accepted)} on port ${o.not_accepted_ports.join(', ')}`),
      ...(others.length > NAMED ? [`${others.length - NAMED} more process(es)`] : []),
      ...(q && cw.not_accepted_no_owner > 0 ? [`${n(cw.not_accepted_no_owner)} on a listener whose process is not named`] : []),
    ];
    const filter = ports.map((p) => `sport = :${p}`).join(' or ');
    // Its listener's queue, when that is full or nearly: the CLOSE_WAIT and the drops are one stall.
    const stalled = fullQueues.filter((l) => ports.includes(l.port));
    const stalledText = stalled
      .slice(0, NAMED)
      .map((l) => `${l.listener} is at ${queueText(l)}, ${isFull(l) ? 'full: new connections to it are dropped' : fullness(l)}`)
      .join('; ');
    advice.push({
      id: 'fix-accept-loop',
      action: q
        ? `Make ${q.command} (pid ${q.pid}) accept() connections on ${portText} as they arrive: its accept loop is stalled or too slow.`
        : `Find the process listening on ${portText} and make it accept() connections as they arrive.`,
      reason:
        `${n(own)} connection(s) closed by the peer wait in ${q ? 'its accept queue' : `the accept queue${ports.length > 1 ? 's' : ''}`} on ${portText} in CLOSE_WAIT. ` +
        (rest > 0 && elsewhere.length > 0 ? `Other listeners have ${n(rest)} more: ${elsewhere.join('; ')}. ` : '') +
        'Until accept() takes them they hold a place in the listen backlog, and a full backlog drops new SYNs (TcpExtListenOverflows). ' +
        (stalledText ? `The listener ${stalledText}${overflows ? ` (${overflows})` : ''}. ` : '') +
        'Check that the ' +
        'accepting thread is alive and not blocked by the work of each connection; a larger backlog only delays the symptom.',
      commands: [
        `ss -tln '${ports.length > 1 ? `( ${filter} )` : filter}'   # Recv-Q: connections waiting for accept(); Send-Q: the backlog`,
        'nstat -az TcpExtListenOverflows TcpExtListenDrops',
      ],
    });
  }

  // Full queues the accept-loop advice did not cover (no never-accepted CLOSE_WAIT on their port).
  const covered = new Set(cw.not_accepted > 0 ? (queues[0]?.not_accepted_ports ?? cw.not_accepted_ports) : []);
  const uncovered = fullQueues.filter((l) => !covered.has(l.port));
  const first = uncovered[0];
  if (first) {
    const who = first.owners?.[0];
    advice.push({
      id: 'accept-faster',
      action:
        `Make ${who ? `${who.command} (pid ${who.pid})` : `the process listening on ${first.listener}`} accept() connections${who ? ` on ${first.listener}` : ''} ` +
        'faster: more accepting threads, less work before the next accept().',
      reason:
        `Its ${queueText(first)}${uncovered.length > 1 ? ` (and ${uncovered.length - 1} more listener(s) at 90% or more)` : ''}: the application takes connections ` +
        'off the queue more slowly than they arrive. A larger backlog (listen() and net.core.somaxconn) absorbs bursts only; ' +
        'with a steady excess it fills again.',
      commands: [`ss -tln '( sport = :${first.port} )'   # Recv-Q: waiting for accept(); Send-Q: the backlog`, 'nstat -az TcpExtListenOverflows TcpExtListenDrops'],
    });
  }

  // --- Orphaned FIN_WAIT_2: the peer has not closed (tcp_fin_timeout bounds them). ---
  if (ins.owners.orphaned_fin_wait_2 > 0) {
    findings.push({
      id: 'orphan-fin-wait-2',
      severity: 'info',
      summary: `${n(ins.owners.orphaned_fin_wait_2)} orphaned FIN_WAIT_2 socket(s): this host closed, the peer has not.`,
      detail:
        `They disappear after tcp_fin_timeout (${s.tcp_fin_timeout} s${where}) without a trace. Many of them to one peer usually mean ` +
        'a CLOSE_WAIT leak in the application on that peer.',
    });
  }

  // --- TIME_WAIT this host pays as a server: cheap, and not a port problem. ---
  if (serverSide && ins.time_wait.incoming > 0) {
    const port = ins.time_wait.by_local_port[0];
    findings.push({
      id: 'server-time-wait',
      severity: 'info',
      summary: `${n(ins.time_wait.incoming)} TIME_WAIT on accepted connections${port ? ` (most on port ${port.port})` : ''}: this host closes first.`,
      detail:
        'The side that closes first keeps TIME_WAIT. On a server it uses no ephemeral ports (they all share the listening port) and ' +
        `costs ${ins.memory.bytes_per_timewait} bytes each; it only matters near tcp_max_tw_buckets (${n(s.tcp_max_tw_buckets)}).`,
    });
    advice.push({
      id: 'let-clients-close',
      action: 'Leave server-side TIME_WAIT alone; if it must shrink, let clients close first (keep-alive, or a protocol where the client ends).',
      reason:
        'tcp_tw_reuse only helps outgoing connect(); tcp_fin_timeout does not shorten TIME_WAIT (it is fixed at 60 s, TCP_TIMEWAIT_LEN); ' +
        'SO_LINGER with 0 replaces the FIN with an RST and discards unsent data.',
      commands: [`ss -Htan state time-wait '( sport = :${port?.port ?? 80} )' | wc -l`],
    });
  }

  // --- tcp_max_tw_buckets (inet_timewait_sock.c inet_twsk_alloc). ---
  const overflow = ins.counters?.['TcpExtTCPTimeWaitOverflow'] ?? 0;
  const tw = ins.memory.timewait_sockets;
  if (overflow > 0 || tw >= BUCKETS_WARN * s.tcp_max_tw_buckets) {
    findings.push({
      id: 'tw-buckets',
      severity: 'warning',
      summary:
        `${n(tw)} timewait sockets against tcp_max_tw_buckets = ${n(s.tcp_max_tw_buckets)}` +
        (overflow > 0 ? `; TcpExtTCPTimeWaitOverflow = ${n(overflow)} since boot.` : '.'),
      detail:
        'At the limit a closing socket skips TIME_WAIT and is destroyed at once: its protection against old duplicates is gone, and a ' +
        "socket destroyed in FIN_WAIT_2 answers the peer's late FIN with an RST (seen on 6.18, docs/fidelity.md C6).",
    });
    const want = Math.max(s.tcp_max_tw_buckets * 2, Math.ceil(tw * 2));
    advice.push({
      id: 'max-tw-buckets',
      action: `Raise net.ipv4.tcp_max_tw_buckets to ${want}, or make fewer short connections.`,
      reason: `Each timewait socket costs ${ins.memory.bytes_per_timewait} bytes, so ${n(want)} of them are ${bytes(want * ins.memory.bytes_per_timewait)} at most.`,
      commands: sysctlCommands('net.ipv4.tcp_max_tw_buckets', String(want)),
    });
  }

  // --- Memory, in proportion. ---
  if (ins.time_wait.total > 0) {
    findings.push({
      id: 'timewait-memory',
      severity: 'info',
      summary: `${n(tw)} timewait sockets hold ${bytes(ins.memory.timewait_bytes)} (${ins.memory.bytes_per_timewait} bytes each, ${ins.memory.bytes_per_timewait_from === 'slabinfo' ? 'tw_sock_TCP in /proc/slabinfo' : 'assumed'}).`,
      detail: 'A timewait socket is a small stub, not a full socket (about 2.3 KB plus buffers): TIME_WAIT costs ports, rarely memory.',
    });
  }

  // --- Myths, kernel by kernel. ---
  const recycle = sysctlValue(ins, 'net.ipv4.tcp_tw_recycle');
  if (ins.kernel.tw_recycle_exists === true && recycle !== null && recycle !== '0') {
    findings.push({
      id: 'tw-recycle-on',
      severity: options.behindNat || serverSide ? 'critical' : 'warning',
      summary: 'net.ipv4.tcp_tw_recycle is on.',
      detail:
        'It drops SYNs whose timestamp is older than the last one seen from the same address within 60 s. Clients behind one NAT ' +
        'have unrelated timestamp clocks, so their connects stall or time out (PAWSPassiveRejected). Linux removed it in 4.12.',
    });
    advice.push({
      id: 'tw-recycle-off',
      action: 'Turn tcp_tw_recycle off: net.ipv4.tcp_tw_recycle = 0.',
      reason: 'It breaks clients behind NAT and was removed from Linux in 4.12 for that reason; use tcp_tw_reuse (outgoing only) instead.',
      commands: sysctlCommands('net.ipv4.tcp_tw_recycle', '0'),
    });
  } else if (ins.kernel.tw_recycle_exists === false) {
    findings.push({
      id: 'tw-recycle-gone',
      severity: 'info',
      summary: `tcp_tw_recycle does not exist on this kernel${ins.kernel.release ? ` (${ins.kernel.release})` : ''}.`,
      detail: 'It was removed in 4.12 because it broke clients behind NAT; guides that tell you to set it are out of date.',
    });
  }
  if (s.tcp_tw_reuse === 2 && clientSide && ins.destinations.some((d) => !isLoopback(d.address) && (d.by_state.TIME_WAIT ?? 0) > 0)) {
    findings.push({
      id: 'tw-reuse-loopback-only',
      severity: 'info',
      summary: `net.ipv4.tcp_tw_reuse is 2${where}: TIME_WAIT ports are reused only for loopback connections.`,
      detail: 'Your TIME_WAIT are to non-loopback destinations, so the current setting does not help them (1 would).',
    });
  }
  const finTimeout = ins.sysctls.find((r) => r.name === 'net.ipv4.tcp_fin_timeout');
  if (finTimeout?.differs || ins.time_wait.total > 0) {
    advice.push({
      id: 'fin-timeout-myth',
      action: 'Do not lower tcp_fin_timeout to get rid of TIME_WAIT.',
      reason:
        `TIME_WAIT lasts ${TIMEWAIT_LEN_S} s whatever it says (TCP_TIMEWAIT_LEN is a constant); tcp_fin_timeout (${s.tcp_fin_timeout} s${where}) ` +
        'only limits how long an orphaned FIN_WAIT_2 waits for the peer.',
      commands: ['sysctl net.ipv4.tcp_fin_timeout'],
    });
  }
  if (ins.time_wait.total > 0 || ins.close_wait.total > 0) {
    advice.push({
      id: 'linger-zero-myth',
      action: 'Do not use SO_LINGER with a zero timeout to avoid TIME_WAIT.',
      reason:
        'close() then sends an RST instead of a FIN: unsent data is thrown away and the peer sees "connection reset" (TcpExtTCPAbortOnData); ' +
        'TIME_WAIT is there to protect the next connection on the same 4-tuple.',
      commands: ["nstat -az TcpExtTCPAbortOnData"],
    });
  }
  if (options.behindNat) {
    advice.push({
      id: 'nat',
      action: clientSide
        ? 'Behind NAT, count ports on the NAT too: all hosts behind one public address share its ports to each destination.'
        : 'Clients behind NAT: keep tcp_timestamps on and tcp_tw_recycle off (it does not exist after 4.12).',
      reason: clientSide
        ? `The same ${TIMEWAIT_LEN_S} s TIME_WAIT arithmetic applies to the NAT's translation table per (public address, destination); keep-alive helps both.`
        : 'Per-connection timestamp offsets (4.10+) make PAWS safe for many clients sharing one address; only tcp_tw_recycle broke them.',
      commands: clientSide ? ['conntrack -C', 'sysctl net.netfilter.nf_conntrack_tcp_timeout_time_wait'] : ['sysctl net.ipv4.tcp_timestamps'],
    });
  }

  return { role, roleInferred: options.role === undefined, findings: sortFindings(findings), advice };
}

/** "queue 128 of 128": how a listener's queue is quoted everywhere. */
function queueText(l: ListenerQueue): string {
  return `queue ${n(l.queued)} of ${l.backlog === null ? '?' : n(l.backlog)}`;
}

/** " (pid 812 nginx)" for a listener whose processes are known, else "". */
function ownersText(l: ListenerQueue): string {
  const owners = l.owners ?? [];
  return owners.length === 0 ? '' : ` (${owners.slice(0, NAMED).map((o) => `pid ${o.pid} ${o.command}`).join(', ')}${owners.length > NAMED ? ', ...' : ''})`;
}

/** "TcpExtListenOverflows = 12, TcpExtListenDrops = 12 since boot" with the counters this host has; "" for none (a dump). */
function listenCounters(ins: Inspection): string {
  const parts = (['TcpExtListenOverflows', 'TcpExtListenDrops'] as const).flatMap((name) => {
    const v = ins.counters?.[name];
    return v === undefined ? [] : [`${name} = ${n(v)}`];
  });
  return parts.length === 0 ? '' : `${parts.join(', ')} since boot`;
}

const SEVERITY_ORDER: Record<Finding['severity'], number> = { critical: 0, warning: 1, info: 2 };

function sortFindings(findings: Finding[]): Finding[] {
  return findings.map((f, i) => [f, i] as const).sort((a, b) => SEVERITY_ORDER[a[0].severity] - SEVERITY_ORDER[b[0].severity] || a[1] - b[1]).map(([f]) => f);
}
