// A lab agent: one Node process inside one host's network namespace, started by the lab
// runner as `ip netns exec twlab-<runid>-<host> node dist/src/lab/agent.js`. It sets the
// host's sysctls (inside its own namespace, never the host's), runs the host's servers,
// proxies and clients on real sockets, and reports what they counted.
//
// Protocol (jobs.ts): one JSON line per message. stdin: config, start (the run's T0 as a
// wall-clock time in ms), stop. stdout: ready (after the sysctls are set and every
// listener listens), report (after stop), error. When stdin closes (the parent died) the
// agent exits, so a killed `twlab lab` leaves no agent behind.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { AgentConfig, FromAgent, SysctlWrite, ToAgent } from './jobs.js';
import { loadSockOpts, type SockOpts } from './sockopt.js';
import { LabClient, LabProxy, LabServer } from './workloads.js';

/** Wall-clock milliseconds with sub-millisecond resolution, the same in every process of the run. */
function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

function send(m: FromAgent): void {
  process.stdout.write(JSON.stringify(m) + '\n');
}

function die(message: string): never {
  send({ type: 'error', message });
  process.exit(1);
}

/** The inode of a network namespace: /proc/PID/ns/net. */
function netnsInode(pid: 'self'): number {
  return statSync(`/proc/${pid}/ns/net`).ino;
}

/** Sysctls are written through /proc/sys/net, which shows the writer's own namespace. */
function writeSysctls(writes: readonly SysctlWrite[], hostNetns: number): void {
  if (netnsInode('self') === hostNetns) die('refusing to run: this agent is in the network namespace of twlab itself, not in a lab namespace');
  for (const w of writes) {
    try {
      writeFileSync(w.path, w.value === '' ? '\n' : w.value);
    } catch (e) {
      die(`cannot set ${w.name} = "${w.value}" in the namespace: ${(e as Error).message}`);
    }
    const back = readFileSync(w.path, 'utf8').trim().split(/\s+/).join(' ');
    const want = w.value.trim().split(/\s+/).join(' ');
    if (back !== want) die(`${w.name}: wrote "${want}", the kernel kept "${back}"`);
  }
}

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  lines.on('close', () => process.exit(0));
  let config: AgentConfig | null = null;
  let t0 = 0;
  const now = (): number => wallMs() - t0;
  let clients: LabClient[] = [];
  let proxies: LabProxy[] = [];
  let sockopts: SockOpts | null = null;
  let endTimer: NodeJS.Timeout | null = null;
  /** What was counted when the scenario's duration ran out (the model stops there too). */
  let final: Promise<Extract<FromAgent, { type: 'report' }>> | null = null;
  const freeze = (): Promise<Extract<FromAgent, { type: 'report' }>> => {
    if (final !== null) return final;
    for (const c of clients) c.finish();
    // One turn of the event loop: a connect() the kernel refuses at once (EADDRNOTAVAIL)
    // reports its error on the next ticks, and the model counts it at the same instant.
    final = new Promise((resolve) =>
      setImmediate(() => {
        const report = { type: 'report' as const, clients: clients.map((c) => c.report()), proxies: proxies.map((p) => p.report()) };
        resolve(JSON.parse(JSON.stringify(report)) as typeof report);
      }),
    );
    return final;
  };

  for await (const line of lines) {
    if (line.trim() === '') continue;
    const m = JSON.parse(line) as ToAgent;
    switch (m.type) {
      case 'config': {
        const c = m.config;
        config = c;
        writeSysctls(c.sysctls, m.hostNetns);
        const needsFfi = c.clients.some((j) => j.raw || (j.linger ?? 0) > 0) || c.servers.some((j) => (j.linger ?? 0) > 0);
        if (needsFfi) {
          sockopts = await loadSockOpts();
          if (sockopts === null) die('the scenario needs socket options through koffi, which does not load here');
        }
        const servers = c.servers.map((j) => new LabServer(j, sockopts));
        proxies = c.proxies.map((j) => new LabProxy(j, now, c.seriesIntervalMs));
        clients = c.clients.map((j) => new LabClient(j, now, sockopts, c.seriesIntervalMs, c.durationMs));
        try {
          await Promise.all([...servers.map((s) => s.start()), ...proxies.map((p) => p.start())]);
        } catch (e) {
          die(`cannot listen: ${(e as Error).message}`);
        }
        send({ type: 'ready', pid: process.pid, netns: netnsInode('self') });
        break;
      }
      case 'start':
        if (config === null) die('start before config');
        t0 = m.t0;
        for (const c of clients) c.start();
        endTimer = setTimeout(() => void freeze(), Math.max(0, config.durationMs - now()));
        break;
      case 'stop':
        if (endTimer !== null) clearTimeout(endTimer);
        send(await freeze());
        break;
    }
  }
}

main().catch((e: unknown) => die(e instanceof Error ? (e.stack ?? e.message) : String(e)));
