// What the lab tests share: whether this machine can run lab at all (root, Linux,
// iproute2), the twlab binary with a longer timeout, and the namespaces of one run.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { MAIN, type Ran } from '../cli-helpers.js';

/** Why the lab tests cannot run here, or undefined when they can. */
export function labSkipReason(): string | undefined {
  if (process.platform !== 'linux') return `twlab lab needs Linux; this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'twlab lab needs root (network namespaces); run npm test as root to include it';
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'twlab lab needs iproute2 (the ip command)';
  return undefined;
}

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete e['TWLAB_DEBUG'];
  return e;
}

/** `twlab ARGS` to the end, with a timeout fit for a lab run. */
export function twlabLong(args: string[], timeoutMs = 120_000): Ran {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: env(), cwd: tmpdir(), timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `twlab ARGS` in the background, for tests that interrupt it. */
export function twlabSpawn(args: string[]): { child: ChildProcess; done: Promise<Ran> } {
  const child = spawn(process.execPath, [MAIN, ...args], { env: env(), cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Ran>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** The namespaces of the run started by process `pid` (twlab-<pid>x<tag>-<host>). */
export function namespacesOf(pid: number): string[] {
  if (!existsSync('/run/netns')) return [];
  return readdirSync('/run/netns').filter((n) => n.startsWith(`twlab-${pid}x`));
}

/** Agents: children of `pid` running dist/src/lab/agent.js. */
export function agentsOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('lab/agent.js')) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

export function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
}

/** Polls `check` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const polls = Math.ceil(timeoutMs / 50);
  for (let i = 0; i < polls; i++) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
