import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress } from './progress.js';

/** A progress line on a fake clock; `written` collects what reached the terminal. */
function fakeProgress(columns = 80) {
  let t = 0;
  const written: string[] = [];
  const progress = createProgress({ write: (s) => written.push(s), now: () => t, columns });
  return { progress, written, at: (ms: number) => (t = ms) };
}

describe('progress line', () => {
  it('a run shorter than a second prints nothing, not even the erase', () => {
    const { progress, written, at } = fakeProgress();
    at(500);
    progress.update('simulating x: 1.0 s of 2 s');
    progress.done();
    assert.deepEqual(written, []);
  });

  it('after a second: rewrites one line in place, at most every 100 ms, erased at the end', () => {
    const { progress, written, at } = fakeProgress();
    at(1000);
    progress.update('a');
    at(1050);
    progress.update('b');
    at(1100);
    progress.update('c');
    progress.done();
    assert.deepEqual(written, ['\r\x1b[2Ka', '\r\x1b[2Kc', '\r\x1b[2K']);
  });

  it('cuts the line to the terminal width so that \\r can rewrite it', () => {
    const { progress, written, at } = fakeProgress(10);
    at(2000);
    progress.update('0123456789abcdef');
    assert.deepEqual(written, ['\r\x1b[2K012345678']);
  });
});
