// `--from FILE`: a socket list saved on another host, in whichever format it was saved,
// recognised by its first lines. One entry point for every format, so the same tests run
// on all of them (style.md 10); then the dump as an observation, inspected like a host.

import { readFileSync } from 'node:fs';
import { printable } from '../report/format.js';
import type { AdviseOptions } from './advice.js';
import { inspectObservation, type Inspected } from './inspect.js';
import { NETSTAT_ADDRESS_WIDTH, parseNetstat, type NetstatParsed } from './netstat.js';
import { parseProcTcp } from './proc-tcp.js';
import { isSsState, looksSavedWithoutAll, parseSs, SsFormatError } from './ss.js';
import type { Observation } from './observation.js';
import { DUMP_FORMATS_TEXT, type DumpFormat } from './options.js';
import type { Parsed } from './socket.js';

/** The file is none of the formats, or cannot be used as it was saved. Exit 2 (a usage error). */
export class DumpFormatError extends Error {
  override readonly name = 'DumpFormatError';
}

export interface ParsedDump extends Parsed {
  format: DumpFormat;
  /** Whether the dump names the processes (ss -p, netstat -p). */
  hasOwners: boolean;
  /** What the dump itself shows to be missing or doubtful, in words (how it was saved). */
  notes: string[];
}

/** How many lines detection looks at. */
const DETECT_LINES = 20;

/** The format of a dump from its first non-empty lines, or undefined. */
export function detectFormat(text: string): DumpFormat | undefined {
  const lines = text
    .split('\n', 200)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, DETECT_LINES);
  for (const line of lines) {
    if (/^sl\s+local_address\s+rem_address\s/.test(line)) return 'proc';
    if (/^\d+:\s+[0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{24})?:[0-9A-Fa-f]{4}\s/.test(line)) return 'proc';
    if (line.startsWith('Active Internet connections') || /^Proto\s+Recv-Q\s+Send-Q\s/.test(line)) return 'netstat';
    if (/^tcp6?\s+\d+\s+\d+\s/.test(line)) return 'netstat';
    if (/^(State|Netid)\s+Recv-Q\s+Send-Q\s/.test(line) || /^Recv-Q\s+Send-Q\s+Local/.test(line)) return 'ss';
    const first = line.split(/\s+/, 2);
    if (isSsState(first[0] ?? '') || (first[0] === 'tcp' && isSsState(first[1] ?? ''))) return 'ss';
  }
  return undefined;
}

/** Parses a saved dump. Throws DumpFormatError for an unknown format or an unusable file. */
export function parseDump(text: string, name = 'the file'): ParsedDump {
  const format = detectFormat(text);
  if (format === undefined) {
    const first = text.split('\n').find((l) => l.trim() !== '') ?? '';
    const shown = first === '' ? 'it is empty' : `its first line is "${printable(first.trim().slice(0, 80))}"`;
    throw new DumpFormatError(`${name} is not a saved ${DUMP_FORMATS_TEXT}: ${shown}`);
  }
  let parsed: Parsed;
  const notes: string[] = [];
  try {
    if (format === 'netstat') {
      const netstat = parseNetstat(text);
      if (netstat.cutIpv6Lines > 0) notes.push(netstatCutNote(netstat));
      parsed = netstat;
    } else {
      parsed = format === 'proc' ? parseProcTcp(text) : parseSs(text);
      if (format === 'ss' && looksSavedWithoutAll(parsed.sockets)) notes.push(SS_WITHOUT_ALL_NOTE);
    }
  } catch (e) {
    if (e instanceof SsFormatError) throw new DumpFormatError(`${name}: ${e.message}`);
    throw e;
  }
  if (parsed.sockets.length === 0 && parsed.skipped > 0) {
    const ex = parsed.examples[0];
    const why = ex ? ` (line ${ex.line}: ${ex.reason})` : '';
    throw new DumpFormatError(`${name} looks like ${format} output, but none of its ${parsed.skipped} socket lines could be read${why}`);
  }
  return { ...parsed, format, hasOwners: parsed.sockets.owners.size > 0, notes };
}

const SS_WITHOUT_ALL_NOTE =
  'the dump has no LISTEN, TIME-WAIT, SYN-RECV or CLOSE socket: it looks saved without -a (ss -tn lists only the other states), ' +
  'so TIME_WAIT and listening sockets are missing, and with them the TIME_WAIT figures and which connections were accepted; ' +
  'save it with ss -tanp (as root for the processes)';

function netstatCutNote(p: NetstatParsed): string {
  const lines = p.cutIpv6Lines === 1 ? '1 tcp6 line has' : `${p.cutIpv6Lines} tcp6 lines have`;
  const unread = p.cutIpv6Skipped > 0 ? ` (${p.cutIpv6Skipped} of them could not be read at all)` : '';
  return (
    `${lines} an address that fills netstat's ${NETSTAT_ADDRESS_WIDTH}-character column: without -W netstat cuts long IPv6 addresses ` +
    `to fit it, so those addresses are likely cut short and wrong${unread}; save the dump with netstat -W (--wide), e.g. netstat -antpW, for whole addresses`
  );
}

/** A dump's text -> an observation (no counters, sysctls or memory figures: only sockets). */
export function observeDump(text: string, path: string, takenAtMs: number): Observation {
  const parsed = parseDump(text, path);
  const notes: string[] = [];
  notes.push(...parsed.notes);
  if (!parsed.hasOwners) notes.push('the dump names no processes: save it with ss -tanp (as root) to see who holds CLOSE_WAIT');
  notes.push('a dump has no counters, sysctls or slab sizes: rates, overflow counts and the real timewait size are not known');
  return {
    origin: { kind: 'file', path, format: parsed.format },
    takenAtMs,
    sockets: parsed.sockets,
    socketSource: `${path} (${parsed.format})`,
    skipped: parsed.skipped,
    skippedExamples: parsed.examples,
    ownersSeen: parsed.hasOwners,
    ownersMissing: 0,
    notes,
  };
}

/** Reads and inspects a dump file. Throws DumpFormatError for an unreadable or unknown file. */
export function inspectDumpFile(path: string, takenAtMs: number, options: AdviseOptions = {}): Inspected {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DumpFormatError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`);
  }
  return inspectObservation(observeDump(text, path, takenAtMs), options);
}
