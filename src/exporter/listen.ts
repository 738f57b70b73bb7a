// `--listen ADDR:PORT` -> where the exporter listens. Kept apart from server.ts so that the
// CLI can check its flags without loading prom-client (server.ts is imported on demand).

/** Parses `--listen`: "127.0.0.1:9813", "[::1]:9813", "localhost:0". */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}
