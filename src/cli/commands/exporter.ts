// `twlab exporter`: Prometheus metrics for what inspect sees, served until Ctrl-C. This
// module is what help and the parser need; exporter-run.ts does the work.

import type { Command } from '../command.js';

/** Loopback only unless told otherwise; 9813 is not taken by a well-known exporter. */
export const DEFAULT_LISTEN = '127.0.0.1:9813';
/** Per-destination series are opt-in: each destination is a new label value. */
export const MAX_DESTINATIONS = 1000;
/** Per-listener series likewise. */
export const MAX_LISTENERS = 1000;

export const exporterCommand: Command = {
  name: 'exporter',
  operands: '',
  summary: 'serve Prometheus metrics for sockets, ports and TIME_WAIT',
  about: [
    'Serves GET /metrics in the Prometheus text format, read fresh at each scrape (sockets through ' +
      'netlink sock_diag, the rest from /proc): TCP ' +
      'sockets by state and family, timewait sockets and their memory, the ephemeral port range, ' +
      'the TIME_WAIT and overflow counters under their nstat names (twlab_nstat_TcpExtTW_total, ' +
      '..._TcpExtTCPTimeWaitOverflow_total, ..._TcpExtTWRecycled_total), and the numeric TCP sysctls.',
    'Per-destination port use (ports in use, free, TIME_WAIT, sustainable connections/s) is opt-in ' +
      'with --destinations N, for the N destinations using the most ports; per-listener accept queues ' +
      '(connections waiting for accept() and the backlog) with --listeners N, for the N fullest; their ' +
      'total and the fullest queue\'s fill are always there. A scrape that fails in ' +
      'part still answers and counts the failure in twlab_scrape_errors_total. Runs until Ctrl-C.',
  ],
  flags: [
    { name: 'listen', value: 'ADDR:PORT', help: 'where to listen, e.g. 127.0.0.1:9813 or [::1]:9813; port 0 picks a free one', default: DEFAULT_LISTEN },
    { name: 'destinations', value: 'N', help: `export per-destination series for the top N destinations (at most ${MAX_DESTINATIONS})`, default: '0: none' },
    { name: 'listeners', value: 'N', help: `export accept queue and backlog for the N fullest listeners (at most ${MAX_LISTENERS})`, default: '0: none' },
  ],
  examples: [
    ['twlab exporter', `metrics at http://${DEFAULT_LISTEN}/metrics`],
    ['twlab exporter --destinations 20', 'with port use for the 20 busiest destinations'],
    ['ip netns exec NS twlab exporter --listen 127.0.0.1:9814', "one namespace's figures"],
  ],
  load: async () => (await import('./exporter-run.js')).runExporter,
};
