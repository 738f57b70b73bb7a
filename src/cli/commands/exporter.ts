// `twlab exporter`: Prometheus metrics for what inspect sees, served until Ctrl-C.

import { once } from 'node:events';
import { parseListen } from '../../exporter/listen.js';
import { UsageError, valueOf, type Args } from '../args.js';
import { ok, type Command, type Context, type Output } from '../command.js';

/** Loopback only unless told otherwise; 9813 is not taken by a well-known exporter. */
export const DEFAULT_LISTEN = '127.0.0.1:9813';
/** Per-destination series are opt-in: each destination is a new label value. */
const MAX_DESTINATIONS = 1000;

export const exporterCommand: Command = {
  name: 'exporter',
  operands: '',
  summary: 'serve Prometheus metrics for sockets, ports and TIME_WAIT',
  about: [
    'Serves GET /metrics in the Prometheus text format, read fresh from /proc at each scrape: TCP ' +
      'sockets by state and family, timewait sockets and their memory, the ephemeral port range, ' +
      'the TIME_WAIT and overflow counters under their nstat names (twlab_nstat_TcpExtTW_total, ' +
      '..._TcpExtTCPTimeWaitOverflow_total, ..._TcpExtTWRecycled_total), and the numeric TCP sysctls.',
    'Per-destination port use (ports in use, free, TIME_WAIT, sustainable connections/s) is opt-in ' +
      'with --destinations N, for the N destinations using the most ports. A scrape that fails in ' +
      'part still answers and counts the failure in twlab_scrape_errors_total. Runs until Ctrl-C.',
  ],
  flags: [
    { name: 'listen', value: 'ADDR:PORT', help: 'where to listen, e.g. 127.0.0.1:9813 or [::1]:9813; port 0 picks a free one', default: DEFAULT_LISTEN },
    { name: 'destinations', value: 'N', help: `export per-destination series for the top N destinations (at most ${MAX_DESTINATIONS})`, default: '0: none' },
  ],
  examples: [
    ['twlab exporter', `metrics at http://${DEFAULT_LISTEN}/metrics`],
    ['twlab exporter --destinations 20', 'with port use for the 20 busiest destinations'],
    ['ip netns exec NS twlab exporter --listen 127.0.0.1:9814', "one namespace's figures"],
  ],
  run: runExporter,
};

async function runExporter(args: Args, context: Context): Promise<Output> {
  if (args.positionals.length > 0) throw new UsageError(`exporter takes no operands, got ${args.positionals.join(' ')}`, 'exporter');
  const listenText = valueOf(args, 'listen') ?? DEFAULT_LISTEN;
  const listen = parseListen(listenText);
  if (!listen) throw new UsageError(`--listen ${listenText}: expected ADDR:PORT, e.g. 127.0.0.1:9813 or [::1]:9813`, 'exporter');
  const destText = valueOf(args, 'destinations') ?? '0';
  if (!/^\d{1,4}$/.test(destText) || Number(destText) > MAX_DESTINATIONS) {
    throw new UsageError(`--destinations ${destText}: expected a whole number from 0 to ${MAX_DESTINATIONS}`, 'exporter');
  }
  if (context.stopSignal === undefined) throw new UsageError('exporter runs until stopped; start it from the twlab binary', 'exporter');
  const signal = context.stopSignal();

  // Loaded here, not at startup: prom-client costs every other command ~50 ms to load.
  const { startExporter } = await import('../../exporter/server.js');
  let running;
  try {
    running = await startExporter({ ...listen, destinations: Number(destText), now: Date.now, monotonicMs: () => performance.now() });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use; choose another with --listen' : code === 'EADDRNOTAVAIL' ? 'no such local address' : String(e);
    return { code: 1, stdout: '', stderr: `twlab: cannot listen on ${listenText}: ${why}\n` };
  }
  context.log?.(`twlab exporter: serving ${running.url} (Ctrl-C to stop)\n`);
  if (!signal.aborted) await once(signal, 'abort');
  await running.close();
  return ok('');
}
