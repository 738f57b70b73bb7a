import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addState, emptyStateCounts, TCP_STATES } from './state.js';

describe('addState', () => {
  it('adds to exactly the named state and returns its new count, for every state', () => {
    for (const [i, state] of TCP_STATES.entries()) {
      const c = emptyStateCounts();
      assert.equal(addState(c, state, i + 2), i + 2);
      assert.equal(addState(c, state, -1), i + 1);
      assert.deepEqual(c, { ...emptyStateCounts(), [state]: i + 1 });
    }
  });
});
