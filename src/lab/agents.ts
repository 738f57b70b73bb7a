// The parent's side of an agent: spawn it inside its namespace, exchange JSON lines, wait
// for its answers with a deadline, and end it.

import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AgentConfig, FromAgent, ToAgent } from './jobs.js';

/** This module runs from dist/src/lab/, beside agent.js. */
export const AGENT_PATH = fileURLToPath(new URL('./agent.js', import.meta.url));

/** How long an agent may take to set up (sysctls, listeners) and to report. */
const READY_TIMEOUT_MS = 15_000;
const REPORT_TIMEOUT_MS = 15_000;
/** Lines of stderr kept for the error message of an agent that died. */
const STDERR_LINES = 20;

export class AgentError extends Error {
  override readonly name = 'AgentError';
}

export class Agent {
  readonly child: ChildProcess;
  /** The agent's pid inside its namespace: /proc/PID/net/... shows that namespace. */
  pid = 0;
  private readonly inbox: FromAgent[] = [];
  private waiter: (() => void) | null = null;
  private exited: string | null = null;
  private readonly stderr: string[] = [];

  constructor(
    readonly host: string,
    readonly netns: string,
  ) {
    // `ip netns exec` execs node in place (no fork), so the child's pid is the agent's.
    this.child = spawn('ip', ['netns', 'exec', netns, process.execPath, AGENT_PATH], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (line.trim() === '') return;
      try {
        this.inbox.push(JSON.parse(line) as FromAgent);
      } catch {
        this.stderr.push(line);
      }
      this.wake();
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > STDERR_LINES) this.stderr.shift();
    });
    this.child.on('exit', (code, signal) => {
      this.exited = signal !== null ? `killed by ${signal}` : `exited with status ${code}`;
      this.wake();
    });
    this.child.on('error', (e) => {
      this.exited = `could not start: ${e.message}`;
      this.wake();
    });
    this.child.stdin!.on('error', () => undefined); // EPIPE when it died: reported by the exit
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  send(m: ToAgent): void {
    if (this.exited === null) this.child.stdin!.write(JSON.stringify(m) + '\n');
  }

  /** The next message of the given type; throws on an error message, exit, timeout or abort. */
  async receive<T extends FromAgent['type']>(type: T, timeoutMs: number, signal?: AbortSignal): Promise<Extract<FromAgent, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.inbox.shift();
      if (m !== undefined) {
        if (m.type === 'error') throw new AgentError(`agent of ${this.host}: ${m.message}`);
        if (m.type === type) return m as Extract<FromAgent, { type: T }>;
        continue;
      }
      if (this.exited !== null) throw new AgentError(`agent of ${this.host} ${this.exited}${this.stderrText()}`);
      if (signal?.aborted) throw signal.reason;
      const left = deadline - Date.now();
      if (left <= 0) throw new AgentError(`agent of ${this.host} did not answer within ${timeoutMs / 1000} s (waiting for ${type})${this.stderrText()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        const done = (): void => {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.waiter = done;
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  private stderrText(): string {
    return this.stderr.length > 0 ? `:\n    ${this.stderr.join('\n    ')}` : '';
  }

  async configure(config: AgentConfig, signal?: AbortSignal): Promise<void> {
    this.send({ type: 'config', config, hostNetns: statSync('/proc/self/ns/net').ino });
    const ready = await this.receive('ready', READY_TIMEOUT_MS, signal);
    this.pid = ready.pid;
  }

  report(signal?: AbortSignal): Promise<Extract<FromAgent, { type: 'report' }>> {
    this.send({ type: 'stop' });
    return this.receive('report', REPORT_TIMEOUT_MS, signal);
  }

  get alive(): boolean {
    return this.exited === null;
  }

  /** Ends the agent: stdin closed (it exits by itself), and SIGKILL for good measure. */
  kill(): void {
    this.child.stdin?.end();
    if (this.exited === null) {
      try {
        this.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
