// `twlab sweep`: the grid of variants (--vary KEY=V1,V2,...) and its run on worker threads.
// Each worker loads the scenario itself, applies the variant's settings and simulates; the
// results come back in grid order whatever order the workers finish in.

import { Worker } from 'node:worker_threads';
import { OverrideError, parseSetting, type Setting } from '../scenario/overrides.js';
import type { Result } from '../sim/result.js';

/** More variants than this is a typo (an extra value list), not a sweep to wait for. */
export const MAX_VARIANTS = 256;

/** One --vary: a key and its values, in the order given. */
export interface Axis {
  key: string;
  values: string[];
}

/** One point of the grid: the value of each axis, and the settings that make it. */
export interface Variant {
  vary: Record<string, string>;
  settings: Setting[];
}

/** `KEY=V1,V2,...` -> Axis. Throws OverrideError labelled `--vary TEXT`. */
export function parseAxis(text: string): Axis {
  const { key, value } = parseSetting('--vary', text);
  const values = value.split(',');
  const fail = (problem: string): never => {
    throw new OverrideError(`--vary ${text}`, problem, 'KEY=V1,V2,... with values separated by commas, each once');
  };
  if (values.some((v) => v === '')) fail('has an empty value');
  const twice = values.find((v, i) => values.indexOf(v) !== i);
  if (twice !== undefined) fail(`gives ${twice} twice`);
  return { key, values };
}

/** The cartesian product, the first axis varying slowest (as nested loops in the order given). */
export function grid(axes: readonly Axis[]): Variant[] {
  let out: Variant[] = [{ vary: {}, settings: [] }];
  for (const axis of axes) {
    out = out.flatMap((v) =>
      axis.values.map((value) => ({
        vary: { ...v.vary, [axis.key]: value },
        settings: [...v.settings, { key: axis.key, value, label: `--vary ${axis.key}=${value}` }],
      })),
    );
  }
  return out;
}

/** What a worker is asked: run variant `index`. */
export interface SweepJob {
  index: number;
  /** A scenario file or a built-in name, resolved by the worker as simulate resolves it. */
  target: string;
  settings: Setting[];
}

export type SweepReply = { index: number; result: Result } | { index: number; error: string };

export interface SweepOptions {
  /** Worker threads to use (at most one per variant). */
  jobs: number;
  /** Called each time a variant finishes. */
  onDone?: (done: number, total: number) => void;
}

/** The worker script, next to this module in dist/. */
const WORKER = new URL('./sweep-worker.js', import.meta.url);

/** Runs every variant's settings on `target`; the results in the order of `variants`. */
export async function runSweep(target: string, variants: readonly (readonly Setting[])[], options: SweepOptions): Promise<Result[]> {
  const total = variants.length;
  const results: Result[] = new Array<Result>(total);
  const workers: Worker[] = [];
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      if (total === 0) return resolve();
      const feed = (worker: Worker): void => {
        if (next >= total) return;
        const index = next++;
        const job: SweepJob = { index, target, settings: [...(variants[index] ?? [])] };
        worker.postMessage(job);
      };
      for (let i = 0; i < Math.max(1, Math.min(options.jobs, total)); i++) {
        const worker = new Worker(WORKER);
        workers.push(worker);
        worker.on('message', (reply: SweepReply) => {
          if ('error' in reply) return reject(new Error(`variant ${reply.index + 1} of ${total}: ${reply.error}`));
          results[reply.index] = reply.result;
          done++;
          options.onDone?.(done, total);
          if (done === total) resolve();
          else feed(worker);
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (done < total) reject(new Error(`a sweep worker stopped early (exit code ${code})`));
        });
        feed(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
