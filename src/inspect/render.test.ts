// The text report: what it leaves out of a table, it counts.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { observeDump } from './dump.js';
import { inspectObservation } from './inspect.js';
import { printable } from '../report/format.js';
import { renderInspection } from './render.js';
import { parseSsUsers } from './ss.js';

/** An ss -tan dump: one TIME_WAIT from 198.18.0.1 to each of `n` destinations (198.18.x.y:80). */
function manyDestinations(n: number): string {
  const lines = ['State Recv-Q Send-Q Local Address:Port Peer Address:Port'];
  for (let i = 0; i < n; i++) lines.push(`TIME-WAIT 0 0 198.18.0.1:${40000 + i} 198.19.${i >> 8}.${i & 255}:80`);
  return lines.join('\n') + '\n';
}

describe('the report counts what its tables leave out', () => {
  it('1500 destinations, 10 shown: "... and 1,490 more", and --json lists only the first 1000', () => {
    const ins = inspectObservation(observeDump(manyDestinations(1500), 'many.txt', 0)).analysis.inspection;
    assert.equal(ins.destinations.length, 1000);
    assert.equal(ins.more.destinations, 500);
    const text = renderInspection(ins, { top: 10 });
    assert.match(text, /^Ephemeral ports per destination[^]*?^ {2}\.\.\. and 1,490 more \(--json lists the first 1,000\)$/m);
    assert.match(text, /^TIME_WAIT: 1,500 [^]*?^ {4}\.\.\. and 1,490 more \(--json lists the first 1,000\)$/m);
  });

  it('12 destinations, 10 shown: "... and 2 more", all in --json', () => {
    const text = renderInspection(inspectObservation(observeDump(manyDestinations(12), 'few.txt', 0)).analysis.inspection, { top: 10 });
    assert.match(text, /^ {2}\.\.\. and 2 more \(--json has them all\)$/m);
  });
});

describe('names from outside, printed back unambiguously', () => {
  it('printable: control and format characters escaped, and the backslash too, so an escape reads back as one', () => {
    assert.equal(printable('a\x1b[2Jb'), 'a\\x1b[2Jb');
    // A name holding the four characters \x1b is not the same as one holding ESC.
    assert.equal(printable('\\x1b'), '\\\\x1b');
    assert.equal(printable('rtl\u202eevil'), 'rtl\\u202eevil');
    // Beyond U+FFFF: braces, so that the hex digits end where they say (U+E0001 LANGUAGE TAG).
    assert.equal(printable('tag\u{e0001}1'), 'tag\\u{e0001}1');
    assert.equal(printable('nginx: worker'), 'nginx: worker');
  });

  it('ss -p prints a command name as it is: one ending in a backslash keeps its pid (seen with iproute2 6.1)', () => {
    // A listener whose comm was set to a\"b\ (five characters), as ss -tlnp printed it here:
    assert.deepEqual(parseSsUsers('users:(("a\\"b\\",pid=18935,fd=3))'), [{ pid: 18935, command: 'a\\\\"b\\\\' }]);
    assert.deepEqual(parseSsUsers('users:(("x\\",pid=5,fd=5),("nginx",pid=6,fd=7))').map((o) => o.pid), [5, 6]);
  });
});
