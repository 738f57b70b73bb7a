// `twlab exporter`: an HTTP server that answers GET /metrics with a fresh look at the host.
// A scrape that fails in part still answers (with what it has and the failure counted in
// twlab_scrape_errors_total); nothing a request or /proc does can stop the server.
// Scrapes that arrive while one is being prepared share its answer (one read of the host at a time).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Inspection } from '../inspect/analyze.js';
import { inspectObservation } from '../inspect/inspect.js';
import { readHost } from '../inspect/host.js';
import type { Observation } from '../inspect/observation.js';
import { CONTENT_TYPE, renderMetrics } from './metrics.js';

export interface ExporterOptions {
  host: string;
  port: number;
  /** Per-destination series for the top N destinations; 0 for none. */
  destinations: number;
  /** Per-listener accept-queue series for the top N listeners by fill; 0 or absent for none. */
  listeners?: number;
  /** Wall clock (ms since the epoch) and a monotonic clock (ms) for scrape durations. */
  now: () => number;
  monotonicMs: () => number;
  /** How the host is looked at; tests inject failures here. Default: readHost without owners. */
  observe?: () => Observation;
}

export interface RunningExporter {
  /** http://HOST:PORT/metrics */
  url: string;
  close(): Promise<void>;
}

export function startExporter(options: ExporterOptions): Promise<RunningExporter> {
  const errors = new Map<string, number>();
  const fail = (stage: string): void => {
    errors.set(stage, (errors.get(stage) ?? 0) + 1);
  };
  let scrapes = 0;
  let inflight: Promise<string> | undefined;
  const observe = options.observe ?? (() => readHost({ now: options.now, owners: false }));

  const scrape = async (): Promise<string> => {
    const t0 = options.monotonicMs();
    scrapes++;
    let ins: Inspection | undefined;
    let obs: Observation | undefined;
    try {
      obs = observe();
    } catch {
      fail('read');
    }
    if (obs) {
      try {
        ins = inspectObservation(obs).analysis.inspection;
      } catch {
        fail('analyze');
      }
    }
    const info = () => ({ errors, scrapes, durationS: (options.monotonicMs() - t0) / 1000 });
    try {
      return await renderMetrics(ins, info(), { destinations: options.destinations, listeners: options.listeners ?? 0 });
    } catch {
      fail('render');
      return renderMetrics(undefined, info(), { destinations: 0 });
    }
  };

  const shared = (): Promise<string> => {
    inflight ??= scrape().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('only GET\n');
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body><h1>twlab exporter</h1><p><a href="/metrics">/metrics</a></p></body></html>\n');
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found; metrics are at /metrics\n');
      return;
    }
    shared().then(
      (body) => {
        res.writeHead(200, { 'Content-Type': CONTENT_TYPE });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (e: unknown) => {
        fail('http');
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`scrape failed: ${e instanceof Error ? e.message : String(e)}\n`);
      },
    );
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      fail('http');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`scrape failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  });
  // A client that sends garbage or goes away mid-request is its own problem.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    else socket.destroy();
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      server.on('error', () => fail('http'));
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        url: `http://${host}:${addr.port}/metrics`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
