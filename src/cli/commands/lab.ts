// `twlab lab SCENARIO`: the scenario on this machine's real kernel, in network namespaces
// (src/lab), printed as the same report or result JSON as simulate. `twlab lab --cleanup`
// removes namespaces that a killed run left behind. This module is what help and the
// parser need; lab-run.ts does the work.

import type { Command } from '../command.js';

export const labCommand: Command = {
  name: 'lab',
  operands: 'SCENARIO',
  summary: 'run a scenario on this machine\'s real Linux kernel, in network namespaces',
  about: [
    'Answers "is the model right on a real kernel?": the scenario runs on the kernel of this ' +
      'machine, one network namespace per host (twlab-<run>-<host>) joined by veth pairs, with ' +
      'the hosts\' sysctls set inside their namespaces, NAT hosts masquerading with nftables, ' +
      'faults as nftables drops, and the clients, servers and proxies as real sockets in one small ' +
      'agent process per host. It prints the same report or result JSON as simulate, with engine ' +
      '"lab" and the running kernel\'s release; socket states come from the namespaces\' own ' +
      '/proc/net/tcp (peaks are sampled), counters are the namespaces\' nstat deltas.',
    'It needs root, Linux and iproute2 (and nftables for NAT and faults). It never changes the ' +
      'host\'s own namespace: no device, route, rule or sysctl outside the twlab namespaces, which are ' +
      'removed when the run ends, fails or is interrupted (Ctrl-C). A run killed with SIGKILL leaves ' +
      'them behind; the next run removes them, or twlab lab --cleanup.',
    'What this kernel cannot honour is refused with the key that asks for it: link delay, jitter, ' +
      'loss and duplication (no netem here; veth pairs have a few microseconds of latency where the ' +
      'model puts 50us), faults matched by sender_state or that delay or duplicate, what_if knobs, ' +
      'a kernel profile other than the running kernel\'s, host-wide sysctls. --approximate runs ' +
      'what can be approximated and lists each approximation in the output. Addresses outside ' +
      '198.18.0.0/15 are remapped into it, and said so.',
  ],
  flags: [
    { name: 'json', help: 'print the result as one JSON document (format twlab-result/1, engine "lab", plus a "lab" section)', default: 'off: a report for people' },
    { name: 'approximate', help: 'run what this kernel can only approximate (link delays ignored, loss as random drops, ...) and say so', default: 'off: refuse with the keys' },
    { name: 'duration', value: 'D', help: 'how long to run, a number with a unit ms, s or m (e.g. 5s)', default: "the scenario's duration" },
    {
      name: 'set',
      value: 'KEY=VALUE',
      repeatable: true,
      help: 'change one value of the scenario, as on twlab simulate (e.g. --set client.sysctl.net.ipv4.tcp_tw_reuse=1)',
      default: 'the values in the scenario',
    },
    { name: 'cleanup', help: 'remove the namespaces (and agents) of twlab lab runs that are no longer running, then exit', default: 'off' },
  ],
  examples: [
    ['sudo twlab lab small-range-burst', '150 connections through 100 ports on the real kernel: 100 connect, 50 fail'],
    ['sudo twlab lab small-range-burst --json', 'the same as result JSON, to compare with twlab simulate small-range-burst --json'],
    ['sudo twlab lab close-wait-leak --set client.sysctl.net.ipv4.tcp_fin_timeout=3', 'the CLOSE_WAIT leak with a shorter FIN_WAIT_2 timeout'],
    ['sudo twlab lab article-lb --approximate --duration 10s', 'the article\'s topology without its link delays, addresses remapped'],
    ['sudo twlab lab --cleanup', 'remove what a killed run left behind'],
  ],
  load: async () => (await import('./lab-run.js')).runLabCommand,
};
