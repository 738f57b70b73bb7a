// Who has the CLOSE_WAIT and FIN_WAIT_2 sockets: each socket put in exactly one class
// (held by a process, not yet accepted, orphaned, owner not visible, not looked up), so that
// the report, the notes, the findings and the exporter all quote the same counts, and per
// process, where a socket several processes share counts once for each of them. Pure: the
// owners are already on the table's rows (owners.ts for a live host, the dump's process
// column for ss -p and netstat -p).
//
// The inode tells most of it, where the source gives one (netlink sock_diag and
// /proc/net/tcp both report sock_i_ino, the socket's sk_ino, and so do ss -e and netstat -e;
// Observation.socketInodes):
//  - sk_set_socket sets sk_ino when a socket gets its file: at socket() (sock_init_data), or
//    for an accepted connection when accept() takes it off the listener's queue (sock_graft,
//    from af_inet.c __inet_accept); sock_orphan clears it when close() lets go of the file.
//  - So a FIN_WAIT_2 with inode 0 is an orphan: this host closed, the peer has not.
//  - A CLOSE_WAIT with inode 0 was never accept()ed: the peer connected and closed while the
//    connection waited in the accept queue. (A socket that is closed in CLOSE_WAIT sends its
//    FIN and leaves for LAST_ACK, so no orphan stays in CLOSE_WAIT.) Its process is the one
//    holding the listener, and the fix is there: the accept loop, not close().
// None of that needs the owner scan, so the exporter, which skips it, counts orphans too.

import type { CloseWaitOwners, FinWait2Owners, ProcessUse } from './analyze.js';
import type { Observation } from './observation.js';
import type { Owner, SocketTable } from './socket.js';

export interface Attribution {
  /** Every process holding CLOSE_WAIT or FIN_WAIT_2 (or the listener of a not-accepted one), most first. */
  processes: ProcessUse[];
  closeWait: CloseWaitOwners;
  finWait2: FinWait2Owners;
}

/** Rows whose owners the listeners of not-accepted CLOSE_WAIT sockets must be looked up for (host.ts scans their inodes). */
export function listenersOfNotAccepted(sockets: SocketTable): number[] {
  const ports = new Set<number>();
  for (const i of sockets.rowsIn('CLOSE_WAIT')) if (sockets.inode[i] === 0) ports.add(sockets.localPort[i] as number);
  if (ports.size === 0) return [];
  return sockets.rowsIn('LISTEN').filter((i) => ports.has(sockets.localPort[i] as number));
}

/**
 * The listening sockets by family and port, to find the listener a queued connection came
 * in on: the one bound to its local address, else the one on the wildcard address of its
 * family (inet_hashtables.c __inet_lookup_listener: the exact address first, then
 * INADDR_ANY). An IPv4 connection taken by a dual-stack IPv6 listener is an IPv6 socket with
 * a v4-mapped address, so the family alone picks the right wildcard. With SO_REUSEPORT
 * several listeners match: the connection is in one of their queues, and each of their
 * processes is named.
 */
class Listeners {
  private readonly byKey = new Map<number, number[]>();

  constructor(private readonly sockets: SocketTable) {
    for (const i of sockets.rowsIn('LISTEN')) {
      const key = Listeners.key(sockets.family[i] as number, sockets.localPort[i] as number);
      const rows = this.byKey.get(key);
      if (rows === undefined) this.byKey.set(key, [i]);
      else rows.push(i);
    }
  }

  private static key(family: number, port: number): number {
    return family * 65536 + port;
  }

  /** The processes holding the listener(s) row i was queued on; none when not found. */
  ownersFor(i: number): Owner[] {
    const s = this.sockets;
    const rows = this.byKey.get(Listeners.key(s.family[i] as number, s.localPort[i] as number)) ?? [];
    const exact = rows.filter((l) => s.localAddress[l] === s.localAddress[i]);
    const chosen = exact.length > 0 ? exact : rows.filter((l) => isWildcard(s.addresses[s.localAddress[l] as number] as string));
    const owners: Owner[] = [];
    for (const l of chosen) for (const o of s.owners.get(l) ?? []) if (!owners.some((x) => x.pid === o.pid)) owners.push(o);
    return owners;
  }
}

const isWildcard = (address: string): boolean => address === '0.0.0.0' || address === '::';

interface ProcessTally {
  owner: Owner;
  closeWait: number;
  notAccepted: number;
  finWait2: number;
  /** Local port -> CLOSE_WAIT held open there; listening port -> not accepted there. */
  heldPorts: Map<number, number>;
  queuePorts: Map<number, number>;
}

const bump = (m: Map<number, number>, k: number): void => {
  m.set(k, (m.get(k) ?? 0) + 1);
};

/** The 5 keys with the highest counts, then by number. */
const topPorts = (m: Map<number, number>): number[] =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 5)
    .map(([port]) => port);

export function attributeOwners(obs: Observation): Attribution {
  const sockets = obs.sockets;
  const inodes = obs.socketInodes;
  const looked = obs.ownersSeen;
  const closeWait: CloseWaitOwners = { held: 0, not_accepted: 0, not_accepted_no_owner: 0, not_accepted_ports: [], not_visible: 0, not_looked_up: 0 };
  const queuePorts = new Map<number, number>();
  const finWait2: FinWait2Owners = { held: 0, orphaned: 0, not_visible: 0, not_looked_up: 0 };
  const tallies = new Map<number, ProcessTally>();
  const tally = (o: Owner): ProcessTally => {
    let t = tallies.get(o.pid);
    if (t === undefined) {
      t = { owner: o, closeWait: 0, notAccepted: 0, finWait2: 0, heldPorts: new Map(), queuePorts: new Map() };
      tallies.set(o.pid, t);
    }
    return t;
  };
  let listeners: Listeners | undefined;

  for (const i of sockets.rowsIn('CLOSE_WAIT')) {
    const owners = sockets.owners.get(i) ?? [];
    const port = sockets.localPort[i] as number;
    if (owners.length > 0) {
      closeWait.held++;
      for (const o of owners) {
        const t = tally(o);
        t.closeWait++;
        bump(t.heldPorts, port);
      }
    } else if (inodes && sockets.inode[i] === 0) {
      closeWait.not_accepted++;
      bump(queuePorts, port);
      const holders = (listeners ??= new Listeners(sockets)).ownersFor(i);
      if (holders.length === 0) closeWait.not_accepted_no_owner++;
      for (const o of holders) {
        const t = tally(o);
        t.notAccepted++;
        bump(t.queuePorts, port);
      }
    } else if (looked) {
      closeWait.not_visible++;
    } else {
      closeWait.not_looked_up++;
    }
  }

  for (const i of sockets.rowsIn('FIN_WAIT_2')) {
    const owners = sockets.owners.get(i) ?? [];
    if (owners.length > 0) {
      finWait2.held++;
      for (const o of owners) tally(o).finWait2++;
    } else if (inodes ? sockets.inode[i] === 0 : looked) {
      // No file refers to it (inode 0), or, in an ss -p/netstat -p dump, no process does.
      finWait2.orphaned++;
    } else if (looked) {
      finWait2.not_visible++;
    } else {
      finWait2.not_looked_up++;
    }
  }

  closeWait.not_accepted_ports = topPorts(queuePorts);
  const processes: ProcessUse[] = [...tallies.values()]
    .sort((a, b) => b.closeWait + b.notAccepted - (a.closeWait + a.notAccepted) || b.finWait2 - a.finWait2 || a.owner.pid - b.owner.pid)
    .map((t) => ({
      pid: t.owner.pid,
      command: t.owner.command,
      close_wait: t.closeWait,
      close_wait_not_accepted: t.notAccepted,
      fin_wait_2: t.finWait2,
      close_wait_ports: topPorts(t.heldPorts),
      not_accepted_ports: topPorts(t.queuePorts),
    }));
  return { processes, closeWait, finWait2 };
}
