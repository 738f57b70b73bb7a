// `twlab packetdrill`: exit 0 and silence when a script matches, exit 1 with packetdrill's
// report when it does not, exit 2 for usage errors. Runs the command as the CLI does.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseArgs, UsageError } from '../src/cli/args.js';
import { COMMANDS } from '../src/cli/cli.js';
import { HELP_FLAG } from '../src/cli/command.js';
import { packetdrillCommand } from '../src/cli/commands/packetdrill.js';
import { runPacketdrill } from '../src/cli/commands/packetdrill-run.js';
import { repoRoot, twlab } from './cli-helpers.js';

function run(...argv: string[]): { code: number; stdout: string; stderr: string } {
  return runPacketdrill(parseArgs(argv, [...packetdrillCommand.flags, HELP_FLAG], 'packetdrill'));
}

const scratch = mkdtempSync(join(tmpdir(), 'twlab-pd-'));
const WRONG = join(scratch, 'wrong.pkt');
writeFileSync(
  WRONG,
  [
    '// The TIME_WAIT ACKs the FIN; this script says RST.',
    '    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
    '   +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0',
    '   +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)',
    '   +0 > S 0:0(0) <...>',
    ' +.01 < S. 0:0(0) ack 1 win 65535 <mss 1460>',
    '   +0 > . 1:1(0) ack 1',
    ' +.01 close(3) = 0',
    '   +0 > F. 1:1(0) ack 1',
    ' +.01 < F. 1:1(0) ack 2 win 65535',
    '   +0 > R 2:2(0)',
    '',
  ].join('\n'),
);

describe('twlab packetdrill', () => {
  it('a corpus script: exit 0, nothing printed', () => {
    const r = run(join(repoRoot(), 'test/packetdrill/tw-reack-fin.pkt'));
    assert.deepEqual(r, { code: 0, stdout: '', stderr: '' });
  });

  it('a wrong expectation: exit 1, the line, the field, both packets', () => {
    const r = run(WRONG);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `${WRONG}:11: error handling packet: live packet field tcp_rst: expected: 1 (0x1) vs actual: 0 (0x0)\n` +
        'script packet:  0.030000 R 2:2(0) \n' +
        'actual packet:  0.030000 . 2:2(0) ack 2 win 65535 \n',
    );
  });

  it('usage errors: no script, an unreadable one, a bad -D or --ip-version', () => {
    assert.throws(() => run(), (e: unknown) => e instanceof UsageError && /takes one script, got none/.test(e.message));
    assert.throws(() => run(join(scratch, 'absent.pkt')), (e: unknown) => e instanceof UsageError && /cannot read/.test(e.message));
    assert.throws(() => run(WRONG, '-D', 'X'), (e: unknown) => e instanceof UsageError && /-D X: write NAME=VALUE/.test(e.message));
    assert.throws(() => run(WRONG, '--ip-version', '5'), (e: unknown) => e instanceof UsageError && /4 or 6/.test(e.message));
  });

  const registered = COMMANDS.some((c) => c.name === 'packetdrill');
  it('the binary runs it', { skip: registered ? false : 'packetdrill is not registered in src/cli/cli.ts yet' }, () => {
    const r = twlab('packetdrill', WRONG);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error handling packet: live packet field tcp_rst/);
  });
});
