// packetdrill script text -> a typed Script, once, at the edge. A small hand-written lexer
// with the token rules of packetdrill's lexer.l (longest match: `0.011` is one number, `...`
// an ellipsis, `S.` a flag word and a dot) and a recursive-descent parser for the subset
// script.ts describes. Anything outside the subset is a ScriptError naming its line.

import type { Action, EventTime, Expr, PacketSpec, Script, ScriptEvent, ScriptOption, SyscallSpec, TcpOption } from './script.js';
import { ScriptError } from './script.js';

type TokenKind = 'option' | 'float' | 'int' | 'word' | 'string' | 'backquoted' | 'code' | 'ip' | 'ellipsis' | 'char' | 'eof';

interface Token {
  kind: TokenKind;
  text: string;
  /** Numeric value of int/float tokens. */
  value: number;
  line: number;
  /** Where a multi-line token (a backquoted command, code) ends: packetdrill reports errors there. */
  endLine: number;
}

/** User definitions (-D NAME=VALUE): a word equal to NAME reads as VALUE (lexer.l word()). */
export type Defines = ReadonlyMap<string, string>;

/** Split the text into tokens; comments and white space are dropped. */
export function tokenize(text: string, defines: Defines = new Map()): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  const push = (kind: TokenKind, t: string, value = 0): void => {
    out.push({ kind, text: t, value, line, endLine: line + countLines(t) });
  };
  const countLines = (s: string): number => s.split('\n').length - 1;
  while (i < n) {
    const c = text[i]!;
    const rest = text.slice(i);
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (rest.startsWith('//')) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (rest.startsWith('/*')) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new ScriptError(line, 'unterminated /* comment');
      line += countLines(text.slice(i, end));
      i = end + 2;
      continue;
    }
    if (rest.startsWith('%{')) {
      const end = text.indexOf('}%', i + 2);
      if (end < 0) throw new ScriptError(line, 'unterminated %{ code block');
      const body = text.slice(i + 2, end);
      push('code', body.replace(/^[ \t]+|[ \t]+$/g, ''));
      line += countLines(body);
      i = end + 2;
      continue;
    }
    if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < n && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      if (j >= n) throw new ScriptError(line, `unterminated ${c === '"' ? 'string' : 'backquoted command'}`);
      const body = text.slice(i + 1, j);
      push(c === '"' ? 'string' : 'backquoted', body);
      line += countLines(body);
      i = j + 1;
      continue;
    }
    if (rest.startsWith('...')) {
      push('ellipsis', '...');
      i += 3;
      continue;
    }
    const option = /^--[A-Za-z0-9_]+/.exec(rest);
    if (option) {
      push('option', option[0].slice(2));
      i += option[0].length;
      continue;
    }
    // Longest match among the number, address and word rules.
    const ip = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/.exec(rest);
    const float = /^-?[0-9]*\.[0-9]+/.exec(rest);
    const hex = /^0x[0-9a-fA-F]+/.exec(rest);
    const int = /^-?[0-9]+/.exec(rest);
    const word = /^[A-Za-z0-9_]+/.exec(rest);
    const lens = [ip?.[0].length ?? 0, float?.[0].length ?? 0, hex?.[0].length ?? 0, int?.[0].length ?? 0, word?.[0].length ?? 0];
    const best = Math.max(...lens);
    if (best > 0) {
      // Ties go to the earlier rule in lexer.l: float, int, hex, word, then addresses.
      if (float && float[0].length === best) push('float', float[0], Number(float[0]));
      else if (int && int[0].length === best) push('int', int[0], Number(int[0]));
      else if (hex && hex[0].length === best) push('int', hex[0], parseInt(hex[0].slice(2), 16));
      else if (word && word[0].length === best) pushWord(word[0]);
      else push('ip', ip![0]);
      i += best;
      continue;
    }
    push('char', c);
    i++;
  }
  push('eof', '');
  return out;

  function pushWord(w: string): void {
    const value = defines.get(w);
    if (value === undefined) {
      push('word', w);
    } else if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      push('string', value.slice(1, -1));
    } else if (value.startsWith('`') && value.endsWith('`') && value.length >= 2) {
      push('backquoted', value.slice(1, -1));
    } else if (/^-?(0x[0-9a-fA-F]+|[0-9]+)$/.test(value)) {
      push('int', value, value.includes('x') ? parseInt(value.replace('-', ''), 16) * (value.startsWith('-') ? -1 : 1) : Number(value));
    } else {
      push('word', value);
    }
  }
}

/** Seconds as written -> µs, as packetdrill converts them: (s64)(secs * 1e6). */
function usecs(t: Token): number {
  return Math.trunc(t.value * 1e6);
}

const OPTION_BYTES: Record<TcpOption['kind'], number> = { nop: 1, eol: 1, mss: 4, wscale: 3, sackOK: 2, sack: 2, TS: 10 };

/** The bytes an option list takes on the wire. */
export function optionsLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (const o of options) n += OPTION_BYTES[o.kind] + (o.kind === 'sack' ? 8 * o.blocks.length : 0);
  return n;
}

class Parser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private isChar(c: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'char' && t.text === c;
  }

  private isWord(w: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'word' && t.text === w;
  }

  private fail(message: string, t: Token = this.peek()): never {
    const near = t.kind === 'eof' ? 'end of file' : `"${t.text}"`;
    throw new ScriptError(t.endLine, `${message} (near ${near})`);
  }

  private expectChar(c: string, what: string): Token {
    if (!this.isChar(c)) this.fail(`expected "${c}" ${what}`);
    return this.next();
  }

  private expectInt(what: string): number {
    const t = this.next();
    if (t.kind !== 'int') this.fail(`expected an integer for ${what}`, t);
    return t.value;
  }

  script(): Script {
    const options: ScriptOption[] = [];
    while (this.peek().kind === 'option') {
      const t = this.next();
      let value: string | null = null;
      if (this.isChar('=')) {
        this.next();
        const v = this.next();
        if (v.kind === 'eof' || v.kind === 'char') this.fail(`--${t.text}= needs a value`, v);
        value = v.text;
        // --define=NAME=VALUE
        if (this.isChar('=') && v.kind === 'word') {
          this.next();
          const rhs = this.next();
          value = `${v.text}=${rhs.kind === 'string' ? `"${rhs.text}"` : rhs.kind === 'backquoted' ? `\`${rhs.text}\`` : rhs.text}`;
        }
      }
      options.push({ line: t.line, name: t.text, value });
    }
    let initCommand: Script['initCommand'] = null;
    if (this.peek().kind === 'backquoted') {
      const t = this.next();
      initCommand = { line: t.line, text: t.text };
    }
    const events: ScriptEvent[] = [];
    let cleanupCommand: Script['cleanupCommand'] = null;
    while (this.peek().kind !== 'eof') {
      // A backquoted command after the last event is the cleanup command (no time).
      if (this.peek().kind === 'backquoted' && this.peek(1).kind === 'eof') {
        const t = this.next();
        cleanupCommand = { line: t.line, text: t.text };
        break;
      }
      events.push(this.event());
    }
    return { options, initCommand, events, cleanupCommand };
  }

  private time(): { line: number; time: EventTime } {
    const t = this.peek();
    if (this.isChar('*')) {
      this.next();
      return { line: t.line, time: { kind: 'any' } };
    }
    const relative = this.isChar('+');
    if (relative) this.next();
    const start = this.seconds();
    if (this.isChar('~')) {
      this.next();
      if (relative) this.expectChar('+', 'after "~" in a relative time range');
      const end = this.seconds();
      if (end < start) throw new ScriptError(t.line, 'time range is backwards');
      return { line: t.line, time: relative ? { kind: 'relative-range', usecs: start, end } : { kind: 'absolute-range', usecs: start, end } };
    }
    return { line: t.line, time: relative ? { kind: 'relative', usecs: start } : { kind: 'absolute', usecs: start } };
  }

  private seconds(): number {
    const t = this.next();
    if (t.kind !== 'int' && t.kind !== 'float') this.fail('expected a time in seconds', t);
    if (t.value < 0) throw new ScriptError(t.line, 'negative time');
    return usecs(t);
  }

  private event(): ScriptEvent {
    const { line, time } = this.time();
    const action = this.action(line);
    if (time.kind === 'any' && !(action.kind === 'packet' && action.direction === 'outbound')) {
      throw new ScriptError(line, 'event time <star> can only be used with outbound packets');
    }
    if ((time.kind === 'absolute-range' || time.kind === 'relative-range') && !(action.kind === 'packet' && action.direction === 'outbound')) {
      throw new ScriptError(line, 'event time range can only be used with outbound packets');
    }
    return { line, time, action };
  }

  private action(line: number): Action {
    const t = this.peek();
    if (t.kind === 'char' && (t.text === '<' || t.text === '>')) return this.packet();
    if (t.kind === 'backquoted') {
      this.next();
      return { kind: 'command', text: t.text };
    }
    if (t.kind === 'code') {
      this.next();
      return { kind: 'code', text: t.text };
    }
    if (t.kind === 'ellipsis' || (t.kind === 'word' && this.isChar('(', 1))) return this.syscall();
    return this.fail(`line ${line}: expected a packet (< or >), a system call, a \`command\` or %{ code }%`);
  }

  private packet(): PacketSpec {
    const dirTok = this.next();
    const direction = dirTok.text === '<' ? 'inbound' : 'outbound';
    let flags: string;
    const f = this.peek();
    if (f.kind === 'word' && /^[SFRPUEWA]+$/.test(f.text)) {
      this.next();
      flags = f.text;
      if (this.isChar('.')) {
        this.next();
        flags += '.';
      }
    } else if (this.isChar('.')) {
      this.next();
      flags = '.';
    } else if (this.isChar('-')) {
      this.next();
      flags = '';
    } else {
      return this.fail('expected TCP flags (e.g. S, S., F., R, P., .) — the subset reads TCP packets only');
    }
    if (/[UEWA]/.test(flags)) this.fail(`flags "${flags}": URG and ECN flags are outside the subset`, f);
    const start = this.expectInt('the start sequence number');
    this.expectChar(':', 'in seq start:end(len)');
    const end = this.expectInt('the end sequence number');
    this.expectChar('(', 'in seq start:end(len)');
    const len = this.expectInt('the payload length');
    this.expectChar(')', 'in seq start:end(len)');
    if (end !== start + len) throw new ScriptError(dirTok.line, 'inconsistent TCP sequence numbers and payload size');
    for (const v of [start, end]) if (v < 0 || v > 0xffffffff) throw new ScriptError(dirTok.line, 'TCP sequence number out of range');
    let ack = 0;
    let win: number | null = null;
    if (this.isWord('ack')) {
      this.next();
      ack = this.expectInt('ack');
      if (ack < 0 || ack > 0xffffffff) throw new ScriptError(dirTok.line, 'TCP ack sequence number out of range');
    }
    if (this.isWord('win')) {
      this.next();
      win = this.expectInt('win');
      if (win < 0 || win > 0xffff) throw new ScriptError(dirTok.line, 'TCP window value out of range');
    }
    if (this.isWord('urg')) this.fail('urg is outside the subset');
    let options: TcpOption[] | null = [];
    if (this.isChar('<')) {
      this.next();
      if (this.peek().kind === 'ellipsis') {
        this.next();
        options = null;
      } else {
        options = [this.tcpOption()];
        while (this.isChar(',')) {
          this.next();
          options.push(this.tcpOption());
        }
      }
      this.expectChar('>', 'to end the TCP options');
    }
    if (direction === 'inbound' && options === null) throw new ScriptError(dirTok.line, '<...> for TCP options can only be used with outbound packets');
    if (direction === 'inbound' && win === null) throw new ScriptError(dirTok.line, 'window must be specified for inbound packets');
    if (options !== null) {
      const excess = optionsLength(options) & 3;
      if (excess !== 0) {
        throw new ScriptError(dirTok.line, `TCP options are not padded correctly to ensure TCP header is a multiple of 4 bytes: ${excess} excess bytes`);
      }
    }
    return { kind: 'packet', direction, flags, seq: start, len, ack, win, options };
  }

  private tcpOption(): TcpOption {
    const t = this.next();
    if (t.kind !== 'word') return this.fail('expected a TCP option (mss, sackOK, TS, nop, wscale, sack, eol)', t);
    switch (t.text) {
      case 'nop':
        return { kind: 'nop' };
      case 'eol':
        return { kind: 'eol' };
      case 'sackOK':
        return { kind: 'sackOK' };
      case 'mss': {
        const value = this.expectInt('mss');
        if (value < 0 || value > 0xffff) throw new ScriptError(t.line, 'mss value out of range');
        return { kind: 'mss', value };
      }
      case 'wscale': {
        const value = this.expectInt('wscale');
        if (value < 0 || value > 255) throw new ScriptError(t.line, 'window scale shift count out of range');
        return { kind: 'wscale', value };
      }
      case 'TS': {
        if (!this.isWord('val')) this.fail('expected "TS val N ecr N"');
        this.next();
        const val = this.expectInt('TS val');
        if (!this.isWord('ecr')) this.fail('expected "ecr N" after the TS val');
        this.next();
        const ecr = this.expectInt('TS ecr');
        for (const v of [val, ecr]) if (v < 0 || v > 0xffffffff) throw new ScriptError(t.line, 'ts val out of range');
        return { kind: 'TS', val, ecr };
      }
      case 'sack': {
        const blocks: [number, number][] = [];
        while (this.peek().kind === 'int' && this.isChar(':', 1)) {
          const l = this.expectInt('a SACK block');
          this.next();
          blocks.push([l, this.expectInt('a SACK block')]);
        }
        if (blocks.length === 0) this.fail('expected SACK blocks L:R');
        return { kind: 'sack', blocks };
      }
      default:
        return this.fail(`TCP option "${t.text}" is outside the subset`, t);
    }
  }

  private syscall(): SyscallSpec {
    let endUsecs: number | null = null;
    if (this.peek().kind === 'ellipsis') {
      this.next();
      endUsecs = this.seconds();
    }
    const name = this.next().text;
    this.expectChar('(', `after ${name}`);
    const args: Expr[] = [];
    if (!this.isChar(')')) {
      args.push(this.expression());
      while (this.isChar(',')) {
        this.next();
        args.push(this.expression());
      }
    }
    this.expectChar(')', `to end the arguments of ${name}()`);
    this.expectChar('=', `before the result of ${name}()`);
    const result = this.expression();
    let errno: string | null = null;
    if (this.peek().kind === 'word' && /^E[A-Z0-9]+$/.test(this.peek().text)) {
      errno = this.next().text;
      // The note: "(Operation now in progress)".
      if (this.isChar('(')) this.skipBalanced('(', ')');
    }
    return { kind: 'syscall', name, args, result, errno, endUsecs };
  }

  private skipBalanced(open: string, close: string): string {
    const start = this.peek().line;
    let depth = 0;
    const parts: string[] = [];
    for (;;) {
      const t = this.next();
      if (t.kind === 'eof') throw new ScriptError(start, `unbalanced "${open}"`);
      if (t.kind === 'char' && t.text === open) depth++;
      if (t.kind === 'char' && t.text === close) depth--;
      parts.push(t.text);
      if (depth === 0) return parts.join(' ');
    }
  }

  private expression(): Expr {
    let e = this.primary();
    while (this.isChar('|')) {
      this.next();
      e = { kind: 'or', lhs: e, rhs: this.primary() };
    }
    return e;
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'ellipsis':
        this.next();
        return { kind: 'ellipsis' };
      case 'int':
        this.next();
        return { kind: 'int', value: t.value };
      case 'word':
        this.next();
        if (this.isChar('=')) {
          this.next();
          return { kind: 'assign', name: t.text, value: this.expression() };
        }
        return { kind: 'word', name: t.text };
      case 'string': {
        let text = '';
        while (this.peek().kind === 'string') text += this.next().text;
        if (this.peek().kind === 'ellipsis') this.next();
        return { kind: 'string', text };
      }
      case 'char':
        if (t.text === '[') {
          this.next();
          const items: Expr[] = [];
          if (!this.isChar(']')) {
            items.push(this.expression());
            while (this.isChar(',')) {
              this.next();
              items.push(this.expression());
            }
          }
          this.expectChar(']', 'to end the list');
          return { kind: 'list', items };
        }
        if (t.text === '{') return this.braces();
        break;
      default:
        break;
    }
    return this.fail('expected an expression');
  }

  /** `{onoff=1, linger=0}`, `{fd=3, events=POLLIN, revents=POLLIN}`, or another struct. */
  private braces(): Expr {
    const save = this.pos;
    const open = this.next();
    const fields = new Map<string, Expr>();
    let plain = true;
    while (plain && !this.isChar('}')) {
      const name = this.peek();
      if (name.kind !== 'word' || !this.isChar('=', 1)) {
        plain = false;
        break;
      }
      this.next();
      this.next();
      fields.set(name.text, this.expression());
      if (this.isChar(',')) this.next();
      else if (!this.isChar('}')) plain = false;
    }
    if (plain) {
      this.next(); // }
      const int = (e: Expr | undefined): number | null => (e?.kind === 'int' ? e.value : null);
      if (fields.size === 2 && fields.has('onoff') && fields.has('linger')) {
        const onoff = int(fields.get('onoff'));
        const linger = int(fields.get('linger'));
        if (onoff === null || linger === null) throw new ScriptError(open.line, 'linger fields must be integers: {onoff=1, linger=0}');
        return { kind: 'linger', onoff, linger };
      }
      if (fields.has('fd') && fields.has('events') && [...fields.keys()].every((k) => k === 'fd' || k === 'events' || k === 'revents')) {
        return { kind: 'pollfd', fd: fields.get('fd')!, events: fields.get('events')!, revents: fields.get('revents') ?? { kind: 'int', value: 0 } };
      }
    }
    this.pos = save;
    return { kind: 'struct', text: this.skipBalanced('{', '}') };
  }
}

/** Parse a whole script. Throws ScriptError with the line of the first problem. */
export function parseScript(text: string, defines: Defines = new Map()): Script {
  return new Parser(tokenize(text, defines)).script();
}
