// The edge where lab touches the machine: iproute2 and nftables commands that build a
// plan's namespaces and take them down again, and the clean-up of namespaces a killed run
// left behind. Everything is created inside `twlab-*` namespaces; the host's own
// namespace gets no device, address, route, rule or sysctl.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { NETNS_PREFIX, type LabPlan } from './plan.js';

/** Something the machine lacks or refused; the message says what to do. */
export class LabSetupError extends Error {
  override readonly name = 'LabSetupError';
}

/** Where `ip netns add` keeps its named namespaces (iproute2 NETNS_RUN_DIR). */
const NETNS_RUN_DIR = '/run/netns';
/** Run ids: the parent's pid, "x", four hex digits (netns names `twlab-<runid>-<host>`). */
const RUN_ID = /^([0-9]+)x[0-9a-f]{4}$/;
/** How long to wait for a veth to come up: LINK_POLLS polls LINK_POLL_MS apart. */
const LINK_POLLS = 100;
const LINK_POLL_MS = 20;
/** Timeout of one ip/nft command. */
const COMMAND_TIMEOUT_MS = 20_000;

export function newRunId(pid: number, random: () => number): string {
  const tag = Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `${pid}x${tag}`;
}

/** The run id of a twlab namespace name, or undefined for any other name. */
export function runIdOf(netns: string): string | undefined {
  if (!netns.startsWith(NETNS_PREFIX)) return undefined;
  const id = netns.slice(NETNS_PREFIX.length).split('-')[0] ?? '';
  return RUN_ID.test(id) ? id : undefined;
}

/** What lab needs from the machine: Linux, root, iproute2 (and nft when the plan has rules). */
export function checkRequirements(needNft: boolean): void {
  if (process.platform !== 'linux') throw new LabSetupError(`twlab lab needs Linux (network namespaces); this is ${process.platform}`);
  if (process.getuid?.() !== 0) {
    throw new LabSetupError('twlab lab needs root to create network namespaces; run it as root (e.g. sudo twlab lab ...)');
  }
  if (!commandWorks('ip', ['-V'])) throw new LabSetupError('twlab lab needs iproute2 (the ip command); install it, e.g. apt-get install iproute2');
  if (needNft && !commandWorks('nft', ['--version'])) {
    throw new LabSetupError('this scenario needs nftables (NAT or faults); install it, e.g. apt-get install nftables');
  }
}

function commandWorks(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
  return r.status === 0;
}

function run(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { input: input ?? '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: COMMAND_TIMEOUT_MS });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const detail = (err.stderr ?? '').trim() || err.message;
    throw new LabSetupError(`${cmd} ${args.join(' ')} failed: ${detail}`);
  }
}

/** `ip -batch -`: one ip command per line, stopping at the first that fails. */
function ipBatch(lines: string[], netns?: string): void {
  if (lines.length === 0) return;
  run('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], lines.join('\n') + '\n');
}

/** Names of twlab's namespaces on this machine. */
export function listLabNetns(): string[] {
  if (!existsSync(NETNS_RUN_DIR)) return [];
  return readdirSync(NETNS_RUN_DIR)
    .filter((n) => n.startsWith(NETNS_PREFIX))
    .sort();
}

/** Whether the run that made a namespace is still going (its parent process lives and is node). */
export function ownerAlive(runId: string): boolean {
  const pid = Number(RUN_ID.exec(runId)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return false;
  }
}

/** The processes inside a namespace (`ip netns pids`): agents that outlived their run. */
function pidsIn(netns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
  if (r.status !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter((w) => /^[0-9]+$/.test(w))
    .map(Number);
}

/**
 * Deletes namespaces (their veths go with them), killing first whatever still runs in
 * them: only processes inside twlab's own namespaces, which are its agents. Returns
 * those it could not delete.
 */
export function removeNetns(names: readonly string[]): string[] {
  const failed: string[] = [];
  for (const name of names) {
    for (const pid of pidsIn(name)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const r = spawnSync('ip', ['netns', 'del', name], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
    if (r.status !== 0 && existsSync(`${NETNS_RUN_DIR}/${name}`)) failed.push(name);
  }
  return failed;
}

export interface CleanupReport {
  removed: string[];
  /** Namespaces of runs still going, left alone. */
  inUse: string[];
  failed: string[];
}

/** Removes the namespaces of twlab runs that are no longer running (all of them with `all`). */
export function cleanupStale(all = false): CleanupReport {
  const names = listLabNetns();
  const inUse: string[] = [];
  const stale: string[] = [];
  for (const n of names) {
    const id = runIdOf(n);
    // Only namespaces named by a lab run are ours to judge; other twlab-* names (inspect's
    // test namespaces, say) belong to someone else.
    if (id === undefined) continue;
    if (!all && ownerAlive(id)) inUse.push(n);
    else stale.push(n);
  }
  const failed = removeNetns(stale);
  return { removed: stale.filter((n) => !failed.includes(n)), inUse, failed };
}

/** Creates the plan's namespaces, veth pairs, addresses, routes and nftables rules. */
export function buildTopology(plan: LabPlan): void {
  ipBatch(plan.hosts.map((h) => `netns add ${h.netns}`));
  for (const h of plan.hosts) ipBatch(['link set lo up'], h.netns);
  // Each end is created directly inside its namespace (rtnetlink IFLA_NET_NS_FD): never in the host's.
  ipBatch(plan.veths.map(([a, b]) => `link add ${a.dev} netns ${a.netns} type veth peer name ${b.dev} netns ${b.netns}`));
  const perNetns = new Map<string, string[]>(plan.hosts.map((h) => [h.netns, []]));
  for (const [a, b] of plan.veths) {
    perNetns.get(a.netns)!.push(`addr add ${a.address} peer ${b.address}/32 dev ${a.dev}`, `link set ${a.dev} up`);
    perNetns.get(b.netns)!.push(`addr add ${b.address} peer ${a.address}/32 dev ${b.dev}`, `link set ${b.dev} up`);
  }
  for (const h of plan.hosts) {
    for (const r of h.routes) perNetns.get(h.netns)!.push(`route add ${r.dst}/32 via ${r.via} dev ${r.dev}`);
  }
  for (const [netns, lines] of perNetns) ipBatch(lines, netns);
  for (const h of plan.hosts) if (h.nft !== '') run('ip', ['netns', 'exec', h.netns, 'nft', '-f', '-'], h.nft);
  waitLinksUp(plan);
}

/** Bounded wait until every veth end reports carrier (operstate UP). */
function waitLinksUp(plan: LabPlan): void {
  const ends = plan.veths.flat();
  for (let i = 0; i < LINK_POLLS; i++) {
    const down = ends.filter((e) => !linkUp(e.netns, e.dev));
    if (down.length === 0) return;
    sleepSync(LINK_POLL_MS);
  }
  throw new LabSetupError(`veth links did not come up within ${(LINK_POLLS * LINK_POLL_MS) / 1000} s`);
}

function linkUp(netns: string, dev: string): boolean {
  const out = run('ip', ['-n', netns, '-j', 'link', 'show', 'dev', dev]);
  const [link] = JSON.parse(out) as { operstate?: string }[];
  return link?.operstate === 'UP';
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
