// `twlab packetdrill SCRIPT.pkt`: run a packetdrill script against the model of one Linux
// host, with the script playing the remote end. Exit 0 when every line matched; otherwise
// packetdrill's report of the first mismatch and exit 1. This module is what help and the
// parser need; packetdrill-run.ts does the work.

import type { Command } from '../command.js';

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
  load: async () => (await import('./packetdrill-run.js')).runPacketdrill,
};
