// Two network namespaces joined by a veth pair, for tests and the bench that build real TCP
// state: twlab-i-TAG-PID-a (198.18.0.1/24) and twlab-i-TAG-PID-b (198.18.0.2/24 and
// 198.18.0.3/24). Only addresses in 198.18.0.0/15 are used; only sysctls inside the
// namespaces are ever set. `withNamespaces` removes both namespaces and every agent it
// started when the callback ends, throws, or the process exits.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { repoRoot } from '../cli-helpers.js';

export const A_ADDR = '198.18.0.1';
export const B_ADDR = '198.18.0.2';
export const B_ADDR2 = '198.18.0.3';

const PREFIX = 'twlab-i-';
/** How long one ip/ss command may take. */
const COMMAND_TIMEOUT_MS = 30_000;
/** Largest output of one command: ss lists of 100 000+ sockets are ~10 MB. */
const MAX_OUTPUT = 1 << 28;
/** How long an agent may take to print its first line (a connect batch of 100 000 included). */
const AGENT_TIMEOUT_MS = 120_000;

export const AGENT = join(repoRoot(), 'dist/test/inspect/load-agent.js');
export const MAIN = join(repoRoot(), 'dist/src/cli/main.js');

/** Why namespace tests cannot run here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'needs iproute2 (the ip command)';
  if (spawnSync('ss', ['-V'], { stdio: 'ignore' }).status !== 0) return 'needs ss (iproute2)';
  return undefined;
}

export interface Agent {
  pid: number;
  /** The first line it printed: `ready` or `done OK FAIL`. */
  line: string;
  stop(): void;
}

export interface Lab {
  a: string;
  b: string;
  /** Runs a command in a namespace; throws with its stderr when it fails. */
  run(ns: string, cmd: string, args: string[]): string;
  /** Starts the load agent in a namespace and waits for its first line. */
  agent(ns: string, args: string[]): Promise<Agent>;
  /** Runs a connect batch to completion: [connected, failed]. */
  connect(ns: string, addr: string, port: number, count: number, concurrency: number): Promise<[number, number]>;
  /** `ss -tanH ARGS | wc -l` in a namespace. */
  ssCount(ns: string, args: string[]): number;
  /** Sets a sysctl inside a namespace (never the host's). */
  sysctl(ns: string, name: string, value: string): void;
  /** Stops every agent and deletes both namespaces; safe to call twice. */
  close(): void;
}

function ip(args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, maxBuffer: MAX_OUTPUT });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Deletes this helper's namespaces left by runs that died (their pid is gone). */
function removeStale(): void {
  if (!existsSync('/run/netns')) return;
  for (const name of readdirSync('/run/netns')) {
    const m = /^twlab-i-[a-z0-9]+-(\d+)-[ab]$/.exec(name);
    if (m && !pidAlive(Number(m[1]))) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
  }
}

/** Runs fn with a fresh pair of namespaces, removed afterwards whatever happens. */
export async function withNamespaces<T>(tag: string, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = createLab(tag);
  try {
    return await fn(lab);
  } finally {
    lab.close();
  }
}

/** Creates the namespaces; the caller must close() the lab (an exit handler does it too). */
export function createLab(tag: string): Lab {
  removeStale();
  const a = `${PREFIX}${tag}-${process.pid}-a`;
  const b = `${PREFIX}${tag}-${process.pid}-b`;
  const devA = `ti${process.pid}a`;
  const devB = `ti${process.pid}b`;
  const children: ChildProcess[] = [];

  const teardown = (): void => {
    process.off('exit', teardown);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const ns of [a, b]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
  };
  process.on('exit', teardown);

  try {
    ip(['netns', 'add', a]);
    ip(['netns', 'add', b]);
    ip(['link', 'add', devA, 'netns', a, 'type', 'veth', 'peer', 'name', devB, 'netns', b]);
    ip(['-n', a, 'addr', 'add', `${A_ADDR}/24`, 'dev', devA]);
    ip(['-n', b, 'addr', 'add', `${B_ADDR}/24`, 'dev', devB]);
    ip(['-n', b, 'addr', 'add', `${B_ADDR2}/24`, 'dev', devB]);
    for (const [ns, dev] of [[a, devA], [b, devB]] as const) {
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'link', 'set', dev, 'up']);
    }

    const run = (ns: string, cmd: string, args: string[]): string => ip(['netns', 'exec', ns, cmd, ...args]);
    const agent = (ns: string, args: string[]): Promise<Agent> => {
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, AGENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`agent ${args.join(' ')} printed nothing in ${AGENT_TIMEOUT_MS} ms`));
        }, AGENT_TIMEOUT_MS);
        const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
        lines.once('line', (line) => {
          clearTimeout(timer);
          resolve({ pid: child.pid as number, line, stop: () => child.kill('SIGTERM') });
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`agent ${args.join(' ')} exited (${code}): ${stderr.trim()}`));
        });
      });
    };
    const lab: Lab = {
      a,
      b,
      run,
      agent,
      async connect(ns, addr, port, count, concurrency) {
        const ag = await agent(ns, ['connect', addr, String(port), String(count), String(concurrency)]);
        const m = /^done (\d+) (\d+)$/.exec(ag.line);
        if (!m) throw new Error(`connect batch: ${ag.line}`);
        return [Number(m[1]), Number(m[2])];
      },
      ssCount(ns, args) {
        return run(ns, 'ss', ['-tanH', ...args]).split('\n').filter((l) => l.trim() !== '').length;
      },
      close: teardown,
      sysctl(ns, name, value) {
        // Through /proc/sys (procps' sysctl may not be installed); the path is the namespace's own.
        run(ns, 'sh', ['-c', `echo "$1" > /proc/sys/$2`, 'sh', value, name.split('.').join('/')]);
      },
    };
    return lab;
  } catch (e) {
    teardown();
    throw e;
  }
}
