// `twlab packetdrill SCRIPT.pkt`, the work: read the script, run it on the model, report.

import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { runScript } from '../../packetdrill/runner.js';
import type { IpVersion } from '../../packetdrill/runner.js';
import { UsageError, valueOf, type Args } from '../args.js';
import { EXIT, type Output } from '../command.js';

export function runPacketdrill(args: Args): Output {
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
