// Which processes hold which sockets: every /proc/PID/fd/* that links to "socket:[INODE]"
// (what ss -p and lsof do). Only the inodes asked for are kept, and only when some are
// asked for, since a host may have hundreds of thousands of descriptors.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { printable } from '../report/format.js';
import type { Owner } from './socket.js';

export interface OwnerScan {
  /** Inode -> the processes holding it (a forked socket has several). */
  byInode: Map<number, Owner[]>;
  /** Processes whose descriptors could not be read (another user's, unprivileged). */
  unreadable: number;
  /** Processes looked at. */
  scanned: number;
}

/** Looks the inodes up in PROC_ROOT/PID/fd for every process. */
export function scanOwners(inodes: ReadonlySet<number>, procRoot = '/proc'): OwnerScan {
  const byInode = new Map<number, Owner[]>();
  let unreadable = 0;
  let scanned = 0;
  if (inodes.size === 0) return { byInode, unreadable, scanned };
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((n) => /^\d+$/.test(n));
  } catch {
    return { byInode, unreadable, scanned };
  }
  for (const pidText of pids) {
    const fdDir = join(procRoot, pidText, 'fd');
    let fds: string[];
    try {
      fds = readdirSync(fdDir);
    } catch (e) {
      // EACCES: another user's process; ENOENT: it exited meanwhile.
      if ((e as NodeJS.ErrnoException).code === 'EACCES') unreadable++;
      continue;
    }
    scanned++;
    let command: string | undefined;
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(join(fdDir, fd));
      } catch {
        continue;
      }
      if (!link.startsWith('socket:[')) continue;
      const inode = Number(link.slice(8, -1));
      if (!inodes.has(inode)) continue;
      command ??= readComm(procRoot, pidText);
      const pid = Number(pidText);
      const list = byInode.get(inode);
      if (list === undefined) byInode.set(inode, [{ pid, command }]);
      else if (!list.some((o) => o.pid === pid)) list.push({ pid, command });
    }
  }
  return { byInode, unreadable, scanned };
}

function readComm(procRoot: string, pid: string): string {
  try {
    // Any process may name itself anything (prctl PR_SET_NAME): escaped, as it will be printed.
    return printable(readFileSync(join(procRoot, pid, 'comm'), 'utf8').trim());
  } catch {
    return '?';
  }
}
