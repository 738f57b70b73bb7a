// Owners from a /proc tree: a process's comm is its own to set (prctl PR_SET_NAME), so it
// reaches the report escaped like any text from outside.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanOwners } from './owners.js';

/** A /proc with one process PID whose descriptor 3 is socket INODE and whose comm is COMM. */
function fakeProc(pid: number, inode: number, comm: string): string {
  const root = mkdtempSync(join(tmpdir(), 'twlab-owners-'));
  mkdirSync(join(root, String(pid), 'fd'), { recursive: true });
  symlinkSync(`socket:[${inode}]`, join(root, String(pid), 'fd', '3'));
  writeFileSync(join(root, String(pid), 'comm'), `${comm}\n`);
  return root;
}

describe('owners from /proc/PID/fd', () => {
  it('the holder of an inode, by pid and comm', () => {
    const root = fakeProc(812, 4242, 'nginx');
    try {
      assert.deepEqual(scanOwners(new Set([4242]), root).byInode.get(4242), [{ pid: 812, command: 'nginx' }]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a comm with control bytes is escaped (\\x1b), never raw', () => {
    const root = fakeProc(813, 4243, 'evil\x1b[2J\x07');
    try {
      assert.deepEqual(scanOwners(new Set([4243]), root).byInode.get(4243), [{ pid: 813, command: 'evil\\x1b[2J\\x07' }]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
