// `%{ assert tcpi_state == TCP_CLOSE, tcpi_state }%`: packetdrill collects the socket's
// tcp_info at the event's time and runs the Python snippets after the script. The model has
// no Python: it understands `assert` statements over integer expressions of the tcp_info
// fields it can fill in, and refuses anything else with the reason.

import type { TcpSocket } from '../tcp/socket.js';
import type { TcpState } from '../tcp/state.js';
import { TCP_STATE_VALUES } from './symbols.js';

/** include/net/tcp_states.h numbering of the model's states. */
const STATE_NUMBER: Record<TcpState, number> = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT_1: 4,
  FIN_WAIT_2: 5,
  TIME_WAIT: 6,
  CLOSE: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
};

/** The tcp_info fields (tcp.c tcp_get_info) the model can fill in, at one moment. */
export function tcpInfo(s: TcpSocket): Record<string, number> {
  return {
    tcpi_state: STATE_NUMBER[s.state],
    tcpi_ca_state: 0,
    tcpi_retransmits: s.retransmits,
    tcpi_options: (s.tsOk ? 1 : 0) | (s.sackOk ? 2 : 0) | (s.rcvWscale > 0 || s.sndWscale > 0 ? 4 : 0),
    tcpi_snd_wscale: s.sndWscale,
    tcpi_rcv_wscale: s.rcvWscale,
    tcpi_rto: Math.round(s.rto),
    tcpi_snd_mss: s.mss,
  };
}

/** A snippet the model cannot evaluate, or an assertion that failed. */
export class CodeError extends Error {
  override readonly name = 'CodeError';
}

type Tok = { t: 'num'; v: number } | { t: 'name'; v: string } | { t: 'op'; v: string };

function lex(text: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:(0x[0-9a-fA-F]+|[0-9]+)|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|\/\/|[-+*%<>()|&,]))/y;
  let i = 0;
  while (i < text.length) {
    if (/^\s*$/.test(text.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(text);
    if (m === null) throw new CodeError(`cannot read "${text.slice(i).trim()}"`);
    if (m[1] !== undefined) out.push({ t: 'num', v: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ t: 'name', v: m[2] });
    else out.push({ t: 'op', v: m[3]! });
    i = re.lastIndex;
  }
  return out;
}

class Expr {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly vars: Record<string, number>,
  ) {}

  done(): boolean {
    return this.i >= this.toks.length;
  }
  isOp(v: string): boolean {
    const t = this.toks[this.i];
    return t !== undefined && (t.t === 'op' || t.t === 'name') && t.v === v;
  }
  eat(v: string): boolean {
    if (!this.isOp(v)) return false;
    this.i++;
    return true;
  }

  expr(): number {
    let v = this.and();
    while (this.eat('or')) {
      const r = this.and();
      v = v || r;
    }
    return v;
  }
  private and(): number {
    let v = this.not();
    while (this.eat('and')) {
      const r = this.not();
      v = v && r;
    }
    return v;
  }
  private not(): number {
    if (this.eat('not')) return this.not() ? 0 : 1;
    return this.cmp();
  }
  private cmp(): number {
    let lhs = this.arith();
    let result = 1;
    let any = false;
    for (;;) {
      const op = ['==', '!=', '<=', '>=', '<', '>'].find((o) => this.isOp(o));
      if (op === undefined) break;
      this.i++;
      const rhs = this.arith();
      const ok = op === '==' ? lhs === rhs : op === '!=' ? lhs !== rhs : op === '<=' ? lhs <= rhs : op === '>=' ? lhs >= rhs : op === '<' ? lhs < rhs : lhs > rhs;
      result = result && ok ? 1 : 0;
      any = true;
      lhs = rhs;
    }
    return any ? result : lhs;
  }
  private arith(): number {
    let v = this.term();
    for (;;) {
      if (this.eat('+')) v += this.term();
      else if (this.eat('-')) v -= this.term();
      else if (this.eat('|')) v |= this.term();
      else if (this.eat('&')) v &= this.term();
      else return v;
    }
  }
  private term(): number {
    let v = this.unary();
    for (;;) {
      if (this.eat('*')) v *= this.unary();
      else if (this.eat('//')) v = Math.floor(v / this.unary());
      else if (this.eat('%')) v %= this.unary();
      else return v;
    }
  }
  private unary(): number {
    if (this.eat('-')) return -this.unary();
    const t = this.toks[this.i++];
    if (t === undefined) throw new CodeError('the expression ends too early');
    if (t.t === 'num') return t.v;
    if (t.t === 'op' && t.v === '(') {
      const v = this.expr();
      if (!this.eat(')')) throw new CodeError('missing ")"');
      return v;
    }
    if (t.t === 'name') {
      const v = this.vars[t.v] ?? TCP_STATE_VALUES[t.v];
      if (v === undefined) {
        const known = Object.keys(this.vars).join(', ');
        throw new CodeError(`${t.v} is not something the model provides (it provides ${known} and the TCP_* state names)`);
      }
      return v;
    }
    throw new CodeError(`unexpected "${t.v}"`);
  }
}

/**
 * Run one snippet with the tcp_info taken at its event. Throws CodeError: for a statement
 * other than `assert EXPR[, EXPR]`, a name the model has no value for, or a failed assert
 * (its message shows the second expression, as Python's AssertionError would).
 */
export function runCode(text: string, vars: Record<string, number>): void {
  for (const raw of text.split(/\n|;/)) {
    const stmt = raw.trim();
    if (stmt === '' || stmt === 'pass' || stmt.startsWith('#')) continue;
    const m = /^assert\s+(.*)$/s.exec(stmt);
    if (m === null) throw new CodeError(`"${stmt}": only assert statements over tcp_info fields are understood in %{ }% code`);
    const parser = new Expr(lex(m[1]!), vars);
    const ok = parser.expr();
    let message: number | null = null;
    if (parser.eat(',')) message = parser.expr();
    if (!parser.done()) throw new CodeError(`"${stmt}": unexpected text after the expression`);
    if (!ok) throw new CodeError(`AssertionError${message !== null ? `: ${message}` : ''} (${stmt})`);
  }
}
