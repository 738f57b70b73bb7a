// `twlab inspect`: this host's TCP sockets explained. Reads /proc (or a saved dump with
// --from), prints the figures, findings and advice; --json for scripts; --watch refreshes.
// This module is what help and the parser need; inspect-run.ts does the work.

import { DUMP_FORMATS_TEXT, ROLES } from '../../inspect/options.js';
import type { FlagSpec } from '../args.js';
import type { Command } from '../command.js';

// Shared with advise: the --from / --role / --behind-nat flags.

export const FROM_FLAG: FlagSpec = {
  name: 'from',
  value: 'FILE',
  help: `read a saved socket list instead of this host: ${DUMP_FORMATS_TEXT} (format detected)`,
  default: 'this host, live',
};
export const ROLE_FLAG: FlagSpec = {
  name: 'role',
  value: 'ROLE',
  help: `what the host does, for the advice: ${ROLES.join(', ')}`,
  default: 'inferred from its sockets',
};
export const BEHIND_NAT_FLAG: FlagSpec = { name: 'behind-nat', help: 'the host, or its clients, sit behind NAT (many hosts share one address)', default: 'off' };

export const inspectCommand: Command = {
  name: 'inspect',
  operands: '[INTERVAL]',
  summary: "explain this host's TIME_WAIT, CLOSE_WAIT and ephemeral ports",
  about: [
    'Looks at this Linux host (or network namespace: ip netns exec NS twlab inspect): TCP sockets ' +
      'by state for IPv4 and IPv6; TIME_WAIT and CLOSE_WAIT by local port and by destination; for ' +
      'each destination the ephemeral ports in use against ip_local_port_range and the new-connection ' +
      'rate the range sustains (usable ports not held by open connections, / 60 s of TIME_WAIT, or / tcp_tw_reuse_delay when ' +
      'tcp_tw_reuse applies); the processes holding CLOSE_WAIT and FIN_WAIT_2; timewait memory; ' +
      'the relevant sysctls next to their defaults; then findings and advice for this kernel.',
    'Sockets come from netlink sock_diag, as ss reads them (or from /proc/net/tcp and /proc/net/tcp6 ' +
      'when netlink cannot be used, or with --sockets proc), owners from /proc/PID/fd, counters from ' +
      '/proc/net/snmp and /proc/net/netstat, timewait size from /proc/slabinfo. It works ' +
      'unprivileged; what it could not see is listed at the end (root sees every owner and slabinfo).',
    '--watch refreshes every INTERVAL (default 2s) with rates from counter deltas (new TIME_WAIT/s ' +
      'from TcpExtTW, connects/s, accepts/s); with --json it prints one JSON document per line.',
  ],
  flags: [
    { name: 'json', help: 'print one JSON document (format twlab-inspect/1)', default: 'off: a report for people' },
    FROM_FLAG,
    { name: 'watch', operand: 'INTERVAL', help: 'refresh every INTERVAL (the operand, e.g. 5s) until Ctrl-C, with rates', default: 'off; INTERVAL 2s' },
    { name: 'count', value: 'N', help: 'with --watch: stop after N refreshes', default: 'until Ctrl-C' },
    { name: 'top', value: 'N', help: 'rows per table in the report (--json lists up to 1000)', default: '10' },
    {
      name: 'sockets',
      value: 'SOURCE',
      help: 'where the socket list comes from: netlink (sock_diag, as ss) or proc (/proc/net/tcp and tcp6, slower); the JSON says which was used in source.sockets_from',
      default: 'netlink; proc when netlink cannot be used',
    },
    ROLE_FLAG,
    BEHIND_NAT_FLAG,
  ],
  examples: [
    ['twlab inspect', 'this host, explained'],
    ['sudo twlab inspect', 'the same, with every CLOSE_WAIT owner and the real timewait size'],
    ['twlab inspect --json | jq .destinations', 'port use per destination, for scripts'],
    ['twlab inspect --watch 5s', 'refresh every 5 s with new TIME_WAIT/s'],
    ['ss -tanpe > s.txt; twlab inspect --from s.txt', 'a socket list saved on another host (as root, -p names the processes, -e the inodes)'],
    ['ip netns exec NS twlab inspect', 'one network namespace'],
  ],
  load: async () => (await import('./inspect-run.js')).runInspect,
};
