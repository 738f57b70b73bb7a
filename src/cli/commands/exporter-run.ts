// `twlab exporter`, the work: check the flags, start the server, serve until stopped.

import { once } from 'node:events';
import { parseListen } from '../../exporter/listen.js';
import { startExporter } from '../../exporter/server.js';
import { UsageError, valueOf, type Args } from '../args.js';
import { ok, type Context, type Output } from '../command.js';
import { DEFAULT_LISTEN, MAX_DESTINATIONS, MAX_LISTENERS } from './exporter.js';

export async function runExporter(args: Args, context: Context): Promise<Output> {
  const listenText = valueOf(args, 'listen') ?? DEFAULT_LISTEN;
  const listen = parseListen(listenText);
  if (!listen) throw new UsageError(`--listen ${listenText}: expected ADDR:PORT, e.g. 127.0.0.1:9813 or [::1]:9813`, 'exporter');
  const destText = valueOf(args, 'destinations') ?? '0';
  if (!/^\d{1,4}$/.test(destText) || Number(destText) > MAX_DESTINATIONS) {
    throw new UsageError(`--destinations ${destText}: expected a whole number from 0 to ${MAX_DESTINATIONS}`, 'exporter');
  }
  const listenersText = valueOf(args, 'listeners') ?? '0';
  if (!/^\d{1,4}$/.test(listenersText) || Number(listenersText) > MAX_LISTENERS) {
    throw new UsageError(`--listeners ${listenersText}: expected a whole number from 0 to ${MAX_LISTENERS}`, 'exporter');
  }
  if (context.stopSignal === undefined) throw new UsageError('exporter runs until stopped; start it from the twlab binary', 'exporter');
  const signal = context.stopSignal();

  let running;
  try {
    running = await startExporter({ ...listen, destinations: Number(destText), listeners: Number(listenersText), now: Date.now, monotonicMs: () => performance.now() });
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
