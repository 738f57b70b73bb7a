// `twlab scenarios`: the built-in scenarios, one line each: name, duration, what it shows.
// This module is what help and the parser need; scenarios-run.ts does the work.

import type { Command } from '../command.js';

export const scenariosCommand: Command = {
  name: 'scenarios',
  operands: '',
  summary: 'list the built-in scenarios',
  about: [
    'Lists the scenarios that ship with twlab, one line each: the name to give to ' +
      'twlab simulate, the simulated time, and the first sentence of its description.',
  ],
  flags: [],
  examples: [
    ['twlab scenarios', 'the list'],
    ['twlab simulate close-wait-leak', 'run one of them'],
  ],
  load: async () => (await import('./scenarios-run.js')).runScenarios,
};
