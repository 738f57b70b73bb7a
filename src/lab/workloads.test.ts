import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorTally, RequestReader, requestBuffer } from './workloads.js';

describe('lab framing: how a listener counts requests', () => {
  it('fixed 0: the connection itself is the one request', () => {
    const r = new RequestReader({ kind: 'fixed', bytes: 0 });
    assert.deepEqual(r.take(), [0]);
    r.feed(Buffer.alloc(10));
    assert.deepEqual(r.take(), []);
  });

  it('fixed n: every n bytes, whatever the chunking', () => {
    const r = new RequestReader({ kind: 'fixed', bytes: 3 });
    r.feed(Buffer.alloc(2));
    assert.deepEqual(r.take(), []);
    r.feed(Buffer.alloc(5));
    assert.deepEqual(r.take(), [3, 3]);
    r.feed(Buffer.alloc(2));
    assert.deepEqual(r.take(), [3]);
  });

  it('framed: each request carries its length in its first 4 bytes, split anywhere', () => {
    const stream = Buffer.concat([requestBuffer(300), requestBuffer(4), requestBuffer(20)]);
    for (const cut of [1, 2, 3, 5, 299, 301, 303, 310]) {
      const r = new RequestReader({ kind: 'framed' });
      r.feed(stream.subarray(0, cut));
      r.feed(stream.subarray(cut));
      assert.deepEqual(r.take(), [300, 4, 20], `cut at ${cut}`);
    }
  });

  it('a request below 4 bytes has no header (the plan refuses mixing those)', () => {
    assert.deepEqual([...requestBuffer(3)], [0x71, 0x71, 0x71]);
    assert.equal(requestBuffer(300).readUInt32BE(0), 300);
  });
});

describe('lab errors: as the model samples them', () => {
  it('an error at t goes to the series sample at the next multiple of the interval', () => {
    const e = new ErrorTally(1000);
    e.add('EADDRNOTAVAIL', 0);
    e.add('EADDRNOTAVAIL', 150);
    e.add('EADDRNOTAVAIL', 1000);
    e.add('ETIMEDOUT', 2500);
    assert.deepEqual(e.report().perInterval, [1, 2, 0, 1]);
    assert.deepEqual(e.report().firstMs, { EADDRNOTAVAIL: 0, ETIMEDOUT: 2500 });
    assert.equal(e.report().counts['ECONNRESET'], 0);
  });
});
