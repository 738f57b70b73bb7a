// One simulation of a built-in scenario, cut to a duration, printing its event count: what
// bench/instructions.sh runs under callgrind. Usage: node dist/bench/run-once.js NAME SECONDS

import { join } from 'node:path';
import { loadScenarioFile } from '../src/scenario/load.js';
import { run } from '../src/sim/run.js';
import { repoRoot } from '../src/paths.js';
import { tuneV8ForSimulation } from '../src/cli/v8-tuning.js';

tuneV8ForSimulation();
const [name = 'article-lb', seconds = '10'] = process.argv.slice(2);
const duration = Math.round(Number(seconds) * 1_000_000);
if (!(duration > 0)) throw new Error(`run-once: SECONDS must be a positive number, got ${seconds}`);
const scenario = loadScenarioFile(join(repoRoot(), 'scenarios', `${name}.yaml`));
scenario.duration = duration;
console.log(`events ${run(scenario).events}`);
