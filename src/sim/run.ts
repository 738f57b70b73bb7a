// CONTRACT STUB — the lead is writing the simulation runner.
import type { Scenario } from '../scenario/types.js';
import type { Result } from './result.js';

export interface SimulateOptions {
  /** Called now and then with simulated time done and total (microseconds). */
  onProgress?: (done: number, total: number) => void;
}

export function simulate(_scenario: Scenario, _options: SimulateOptions = {}): Result {
  throw new Error('not yet');
}
