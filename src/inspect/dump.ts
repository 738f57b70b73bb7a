// `--from FILE`: a socket list saved on another host, in whichever format it was saved,
// recognised by its first lines. One entry point for every format, so the same tests run
// on all of them (style.md 10); then the dump as an observation, inspected like a host.

import { closeSync, openSync, readSync } from 'node:fs';
import { assertNever } from '../engine/assert.js';
import { printable } from '../report/format.js';
import type { AdviseOptions } from './advice.js';
import { inspectObservation, type Inspected } from './inspect.js';
import { NETSTAT_ADDRESS_WIDTH, NetstatParser, type NetstatParsed } from './netstat.js';
import { ProcTcpParser } from './proc-tcp.js';
import { isSsState, looksSavedWithoutAll, SsFormatError, SsParser } from './ss.js';
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
  /** Whether every socket carries its inode (/proc/net/tcp, ss -e, netstat -e). */
  hasInodes: boolean;
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
  const format = knownFormat(text, name);
  return parsePieces(format, [Buffer.from(text, format === 'proc' ? 'latin1' : 'utf8')], name);
}

/** The format of a dump from its head, or a DumpFormatError that quotes its first line. */
function knownFormat(head: string, name: string): DumpFormat {
  const format = detectFormat(head);
  if (format !== undefined) return format;
  const first = head.split('\n', 200).find((l) => l.trim() !== '') ?? '';
  const shown = first === '' ? 'it is empty' : `its first line is "${printable(first.trim().slice(0, 80))}"`;
  throw new DumpFormatError(`${name} is not a saved ${DUMP_FORMATS_TEXT}: ${shown}`);
}

/** One format's parser, fed pieces of whole lines. */
interface PieceParser {
  feed(piece: Buffer): void;
  /** The sockets, whether they carry inodes, and what the dump shows to be missing or doubtful. */
  end(): { parsed: Parsed; inodes: boolean; notes: string[] };
}

function pieceParser(format: DumpFormat): PieceParser {
  switch (format) {
    case 'proc': {
      const p = new ProcTcpParser();
      return { feed: (piece) => p.feed(piece), end: () => ({ parsed: p.end(), inodes: true, notes: [] }) };
    }
    case 'ss': {
      const p = new SsParser();
      return {
        feed: (piece) => p.feed(piece.toString('utf8')),
        end: () => {
          const parsed = p.end();
          return { parsed, inodes: parsed.inodes, notes: looksSavedWithoutAll(parsed.sockets) ? [SS_WITHOUT_ALL_NOTE] : [] };
        },
      };
    }
    case 'netstat': {
      const p = new NetstatParser();
      return {
        feed: (piece) => p.feed(piece.toString('utf8')),
        end: () => {
          const parsed = p.end();
          return { parsed, inodes: parsed.inodes, notes: parsed.cutIpv6Lines > 0 ? [netstatCutNote(parsed)] : [] };
        },
      };
    }
    default:
      return assertNever(format, 'dump format');
  }
}

function parsePieces(format: DumpFormat, pieces: Iterable<Buffer>, name: string): ParsedDump {
  const parser = pieceParser(format);
  try {
    for (const piece of pieces) parser.feed(piece);
  } catch (e) {
    if (e instanceof SsFormatError) throw new DumpFormatError(`${name}: ${e.message}`);
    throw e;
  }
  const { parsed, inodes, notes } = parser.end();
  if (parsed.sockets.length === 0 && parsed.skipped > 0) {
    const ex = parsed.examples[0];
    const why = ex ? ` (line ${ex.line}: ${ex.reason})` : '';
    throw new DumpFormatError(`${name} looks like ${format} output, but none of its ${parsed.skipped} socket lines could be read${why}`);
  }
  return { ...parsed, format, hasOwners: parsed.sockets.owners.size > 0, hasInodes: inodes, notes };
}

/**
 * How much of a file is read at once. A dump is read in pieces that end at a line end, not
 * as one string: V8's longest string is ~512 MiB (ERR_STRING_TOO_LONG), and a busy host's
 * dump can be longer. Read this way, 1M sockets (56 MB) take no longer than read whole.
 */
const PIECE_BYTES = 16 * 1024 * 1024;
/** How much of the head detection looks at: its first 20 non-empty lines, with room to spare. */
const HEAD_BYTES = 64 * 1024;
/** The longest line read: ss -p lists every process sharing a socket, but no line comes near this. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
const NL = 0x0a;

export interface ReadDumpOptions {
  /** Bytes read at a time (tests make it small). */
  pieceBytes?: number;
}

/**
 * Reads and parses a dump file of any size, front to back (so a pipe does too: --from
 * /dev/stdin, <(ssh HOST ss -tanp)). Throws DumpFormatError for an unreadable, unknown or
 * unusable file.
 */
export function readDump(path: string, options: ReadDumpOptions = {}): ParsedDump {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw cannotRead(path, e);
  }
  try {
    const head = Buffer.allocUnsafe(HEAD_BYTES);
    let n = 0;
    for (let got = -1; got !== 0 && n < HEAD_BYTES; n += got) got = readNext(fd, head, n, HEAD_BYTES - n, path);
    const format = knownFormat(head.toString('utf8', 0, n), path);
    return parsePieces(format, linePieces(fd, path, head.subarray(0, n), options.pieceBytes ?? PIECE_BYTES), path);
  } finally {
    closeSync(fd);
  }
}

/** `start` and then the rest of the file, in pieces that end at a line end (the last one at the end of the file). */
function* linePieces(fd: number, path: string, start: Buffer, pieceBytes: number): Generator<Buffer> {
  let buf = Buffer.allocUnsafe(Math.max(pieceBytes, start.length));
  start.copy(buf);
  /** Bytes read and not yet yielded, at buf's start. */
  let held = start.length;
  for (;;) {
    const lastNewline = held > 0 ? buf.lastIndexOf(NL, held - 1) : -1;
    if (lastNewline >= 0) {
      // The parser is done with a piece before the next read, so the buffer can be reused.
      yield buf.subarray(0, lastNewline + 1);
      buf.copy(buf, 0, lastNewline + 1, held);
      held -= lastNewline + 1;
    }
    if (held === buf.length) {
      // One line fills the buffer: make room, up to the longest line a dump may have.
      if (held > MAX_LINE_BYTES) throw new DumpFormatError(`${path} has a line longer than ${MAX_LINE_BYTES / (1024 * 1024)} MiB: it is not a socket list`);
      const wider = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_LINE_BYTES + 1));
      buf.copy(wider, 0, 0, held);
      buf = wider;
    }
    const n = readNext(fd, buf, held, buf.length - held, path);
    if (n === 0) {
      if (held > 0) yield buf.subarray(0, held);
      return;
    }
    held += n;
  }
}

/** Reads on from where the last read ended (a pipe has no positions). */
function readNext(fd: number, buf: Buffer, offset: number, length: number, path: string): number {
  try {
    return readSync(fd, buf, offset, length, null);
  } catch (e) {
    throw cannotRead(path, e);
  }
}

function cannotRead(path: string, e: unknown): DumpFormatError {
  const code = (e as NodeJS.ErrnoException).code;
  return new DumpFormatError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`);
}

const SS_WITHOUT_ALL_NOTE =
  'the dump has no LISTEN, TIME-WAIT, SYN-RECV or CLOSE socket: it looks saved without -a (ss -tn lists only the other states), ' +
  'so TIME_WAIT and listening sockets are missing, and with them the TIME_WAIT figures and which connections were accepted; ' +
  'save it with ss -tanpe (as root for the processes)';

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
  return observation(parseDump(text, path), path, takenAtMs);
}

function observation(parsed: ParsedDump, path: string, takenAtMs: number): Observation {
  const notes = [...parsed.notes];
  if (!parsed.hasOwners) notes.push('the dump names no processes: save it with ss -tanpe (as root) to see who holds CLOSE_WAIT');
  notes.push('a dump has no counters, sysctls or slab sizes: rates, overflow counts and the real timewait size are not known');
  return {
    origin: { kind: 'file', path, format: parsed.format },
    takenAtMs,
    sockets: parsed.sockets,
    socketSource: `${path} (${parsed.format})`,
    skipped: parsed.skipped,
    skippedExamples: parsed.examples,
    ownersSeen: parsed.hasOwners,
    socketInodes: parsed.hasInodes,
    // Only ss from iproute2 6.8 on, on kernel 6.8 on, with -a or -B, lists bound, not listening
    // sockets (UNCONN): where some are there, the dump listed them; where none are, it may
    // simply not have asked (an older ss, netstat and /proc/net/tcp never do).
    boundInactiveListed: parsed.sockets.boundInactive.length > 0,
    notes,
  };
}

/** Reads and inspects a dump file. Throws DumpFormatError for an unreadable, unknown or unusable file. */
export function inspectDumpFile(path: string, takenAtMs: number, options: AdviseOptions = {}): Inspected {
  return inspectObservation(observation(readDump(path), path, takenAtMs), options);
}
