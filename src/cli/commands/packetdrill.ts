// `twlab packetdrill SCRIPT.pkt`: run a packetdrill script against the model of one Linux
// host, with the script playing the remote end. Exit 0 when every line matched; otherwise
// packetdrill's report of the first mismatch and exit 1.

import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { runScript } from '../../packetdrill/runner.js';
import type { IpVersion } from '../../packetdrill/runner.js';
import { UsageError, valueOf, type Args } from '../args.js';
import { EXIT, type Command, type Output } from '../command.js';

export const packetdrillCommand: Command = {
  name: 'packetdrill',
  operands: 'SCRIPT.pkt',
  summary: 'run a packetdrill script against the model instead of a kernel',
  about: [
    "Answers whether the model does what a real Linux kernel does, packet by packet: the script's " +
      'system calls run on one simulated Linux 6.18 host, the script plays the remote end (its < ' +
      'packets are injected at their times, its > packets are what the host must send), and time ' +
      'is simulated, so a script that waits 60 s on a kernel runs in milliseconds.',
    'The language is the subset the kernel\'s teardown tests use: absolute and relative times, ranges ' +
      "(+0~+.04), *, blocking calls (+.01...0.011 connect(...)), tolerance options; socket, setsockopt, " +
      'getsockopt, bind, listen, accept, connect (also O_NONBLOCK and AF_UNSPEC), fcntl, read, write, ' +
      'shutdown, close, poll; TCP packets with flags, seq, ack, win and options; %{ assert tcpi_state == ... }% ' +
      'checks; backquoted sysctl settings (also the kernel suite\'s common/defaults.sh). Anything else is ' +
      'refused with the reason.',
    'Exit status: 0 when every line matched, 1 with the first mismatch printed as packetdrill prints it ' +
      '(script line, expected packet, actual packet), 2 for a usage error.',
  ],
  flags: [
    { name: 'ip-version', value: '4|6', help: 'address family of the script (packetdrill --ip_version)', default: '4' },
    { name: 'local-ip', value: 'ADDR', help: 'the simulated host\'s address', default: '192.168.0.2' },
    { name: 'remote-ip', value: 'ADDR', help: "the scripted remote's address", default: '192.0.2.1' },
    { name: 'define', short: 'D', value: 'NAME=VALUE', repeatable: true, help: 'a symbol the script may use (packetdrill -D)', default: 'none' },
    { name: 'tolerance-usecs', value: 'N', help: 'how far an event may be off its time, in µs (a --tolerance_usecs line in the script wins)', default: '4000' },
  ],
  examples: [
    ['twlab packetdrill test/packetdrill/tw-reack-fin.pkt', 'TIME_WAIT ACKs a retransmitted FIN again'],
    ['twlab packetdrill ~/packetdrill/gtests/net/tcp/close/close-on-syn-sent.pkt', 'a script from the kernel suite, read from your own checkout'],
  ],
  run: runPacketdrill,
};

function runPacketdrill(args: Args): Output {
  if (args.positionals.length !== 1) {
    throw new UsageError(`packetdrill takes one script, got ${args.positionals.length === 0 ? 'none' : args.positionals.join(' ')}`, 'packetdrill');
  }
  const path = args.positionals[0]!;
  const version = valueOf(args, 'ip-version') ?? '4';
  const ipVersions: Record<string, IpVersion> = { '4': 'ipv4', '6': 'ipv6', ipv4: 'ipv4', ipv6: 'ipv6', 'ipv4-mapped-ipv6': 'ipv4-mapped-ipv6' };
  const ipVersion = ipVersions[version];
  if (ipVersion === undefined) throw new UsageError(`--ip-version ${version}: 4 or 6`, 'packetdrill');
  const defines = new Map<string, string>();
  for (const d of args.values.get('define') ?? []) {
    const eq = d.indexOf('=');
    if (eq <= 0) throw new UsageError(`-D ${d}: write NAME=VALUE`, 'packetdrill');
    defines.set(d.slice(0, eq), d.slice(eq + 1));
  }
  const tol = valueOf(args, 'tolerance-usecs');
  if (tol !== undefined && !/^[0-9]+$/.test(tol)) throw new UsageError(`--tolerance-usecs ${tol}: a whole number of microseconds`, 'packetdrill');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`, 'packetdrill');
  }
  const localIp = valueOf(args, 'local-ip');
  const remoteIp = valueOf(args, 'remote-ip');
  const r = runScript(text, {
    path,
    dir: dirname(path),
    readFile: (p) => readFileSync(p, 'utf8'),
    ipVersion,
    defines,
    ...(localIp !== undefined ? { localIp } : {}),
    ...(remoteIp !== undefined ? { remoteIp } : {}),
    ...(tol !== undefined ? { toleranceUsecs: Number(tol) } : {}),
  });
  const notes = r.notes.length > 0 ? `note: ${r.notes.join('; ')}\n` : '';
  if (r.ok) return { code: EXIT.ok, stdout: '', stderr: notes };
  return { code: EXIT.failure, stdout: '', stderr: `${notes}${r.error}\n` };
}
