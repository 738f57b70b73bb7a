// A sweep worker thread: runs the variants sweep.ts sends it, one at a time, and sends
// each result back. Loads the scenario itself, so nothing but the job crosses threads.

import { parentPort } from 'node:worker_threads';
import { applySettings } from '../scenario/overrides.js';
import { simulate } from '../sim/run.js';
import { resolveScenario } from './scenario-arg.js';
import type { SweepJob, SweepReply } from './sweep.js';

const port = parentPort;
if (port === null) throw new Error('sweep-worker.js runs as a worker thread of twlab sweep');

port.on('message', (job: SweepJob) => {
  let reply: SweepReply;
  try {
    reply = { index: job.index, result: simulate(applySettings(resolveScenario(job.target), job.settings)) };
  } catch (e) {
    reply = { index: job.index, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
