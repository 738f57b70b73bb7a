// Inspection -> the text `twlab inspect` and `twlab advise` print: small aligned tables and
// wrapped sentences, readable at 100 columns. Pure; colour is an option the CLI turns on.

import { ANSI_STYLE, bytes, painter, thousands, visibleLength, type Paint } from '../report/format.js';
import { TCP_STATES } from '../tcp/state.js';
import { JSON_LIST_LIMIT, ownerlessText, type Advice, type Finding, type Inspection } from './analyze.js';
import type { Advised } from './advice.js';
import type { Rates } from './rates.js';

export interface RenderOptions {
  color?: boolean;
  /** Rows per table (destinations, ports, processes). */
  top?: number;
  /** Counter rates since the previous look (--watch). */
  rates?: Rates;
}

const WIDTH = 100;
const DEFAULT_TOP = 10;


const n = thousands;
const perS = (x: number): string => (x >= 100 ? n(x) : x.toFixed(1)) + '/s';

/** Columns: the first `left` left-aligned (names), the others right-aligned (numbers). */
function table(header: string[], rows: string[][], indent = '  ', left = 1): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    (indent + cells.map((c, i) => (i < left ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')).trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Wraps words to WIDTH with a hanging indent. */
export function wrap(text: string, indent: string, first = indent, width = WIDTH): string[] {
  const out: string[] = [];
  let line = first;
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line.trim() !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = indent + word;
    } else {
      line = line.trim() === '' || line.endsWith(' ') ? line + word : `${line} ${word}`;
    }
  }
  if (line.trim() !== '') out.push(line);
  return out;
}

function header(ins: Inspection, paint: Paint): string[] {
  const what =
    ins.source.kind === 'host'
      ? `this host${ins.kernel.release ? `, kernel ${ins.kernel.release}` : ''}`
      : `${ins.source.path ?? 'a dump'} (${ins.source.format} format)`;
  const lines = [paint('bold', `twlab inspect: ${what}`), paint('dim', `${ins.taken_at}; sockets from ${ins.source.sockets_from}`)];
  if (ins.source.skipped_lines > 0) {
    const ex = ins.source.skipped_examples[0];
    lines.push(`${n(ins.source.skipped_lines)} line(s) could not be read and were skipped${ex ? ` (line ${ex.line}: ${ex.reason})` : ''}`);
  }
  return lines;
}

function rateLines(r: Rates, width = WIDTH): string[] {
  return wrap(
    `Rates over the last ${r.interval_s.toFixed(1)} s: new TIME_WAIT ${perS(r.new_time_wait_per_s)} (TcpExtTW), ` +
      `connect ${perS(r.active_opens_per_s)}, accept ${perS(r.passive_opens_per_s)}, ` +
      `TIME_WAIT reused ${perS(r.tw_recycled_per_s)}, skipped (overflow) ${perS(r.tw_overflow_per_s)}`,
    '  ',
    '',
    width,
  );
}

function states(ins: Inspection): string[] {
  const rows = TCP_STATES.filter((s) => ins.sockets.by_state[s] > 0).map((s) => [s, n(ins.sockets.ipv4[s]), n(ins.sockets.ipv6[s]), n(ins.sockets.by_state[s])]);
  const bound = ins.sockets.bound_inactive ?? 0;
  // ss lists them as UNCONN only from iproute2 6.8 on kernel 6.8 (with -a or -B); /proc/net/tcp never does.
  const boundLine = bound > 0 ? [`  and ${n(bound)} bound but neither listening nor connected (in no state; each holds its port)`] : [];
  if (rows.length === 0) return ['Sockets: none', ...boundLine];
  return [`Sockets by state (${n(ins.sockets.total)})`, ...table(['state', 'IPv4', 'IPv6', 'total'], rows), ...boundLine];
}

/**
 * "... and N more" under a table that shows `shown` of `listed` rows, where the JSON lists
 * `listed` (at most JSON_LIST_LIMIT) and counts `unlisted` more.
 */
function moreLine(shown: number, listed: number, unlisted: number, indent = '  '): string[] {
  const hidden = listed - shown + unlisted;
  if (hidden <= 0) return [];
  const json = unlisted > 0 ? `--json lists the first ${n(JSON_LIST_LIMIT)}` : '--json has them all';
  return [`${indent}... and ${n(hidden)} more (${json})`];
}

function breakdown(ins: Inspection, which: 'time_wait' | 'close_wait', top: number): string[] {
  const b = ins[which];
  if (b.total === 0) return [];
  const name = which === 'time_wait' ? 'TIME_WAIT' : 'CLOSE_WAIT';
  const lines = [`${name}: ${n(b.total)} (${n(b.outgoing)} on connections this host opened, ${n(b.incoming)} on accepted ones)`];
  if (b.by_destination.length > 0) {
    lines.push('  by destination');
    lines.push(...table(['destination', 'count'], b.by_destination.slice(0, top).map((d) => [d.endpoint, n(d.count)]), '    '));
    lines.push(...moreLine(Math.min(top, b.by_destination.length), b.by_destination.length, b.more.by_destination, '    '));
  }
  if (b.by_peer.length > 0) {
    lines.push('  by peer (accepted connections)');
    lines.push(...table(['peer', 'count'], b.by_peer.slice(0, top).map((d) => [d.address, n(d.count)]), '    '));
    lines.push(...moreLine(Math.min(top, b.by_peer.length), b.by_peer.length, b.more.by_peer, '    '));
  }
  // Ephemeral local ports say little one by one (the destination table covers them); service
  // ports (outside ip_local_port_range) are where server-side TIME_WAIT and CLOSE_WAIT gather.
  const [lo, hi] = ins.ports.range;
  const ports = b.by_local_port.filter((p) => p.port < lo || p.port > hi);
  if (ports.length > 0) {
    lines.push('  by local port (outside the ephemeral range)');
    lines.push(...table(['port', 'count'], ports.slice(0, top).map((p) => [String(p.port), n(p.count)]), '    '));
  }
  return lines;
}

function destinations(ins: Inspection, top: number): string[] {
  if (ins.destinations.length === 0) return [];
  const p = ins.ports;
  const anyReuse = ins.destinations.some((d) => d.tw_reuse_applies);
  const rows = ins.destinations.slice(0, top).map((d) => [
    d.destination,
    d.source,
    n(d.ports_in_use),
    n(d.by_state.TIME_WAIT ?? 0),
    n(d.free_ports),
    `${Math.round(d.use_ratio * 100)}%`,
    perS(d.recent_per_s),
    perS(d.sustainable_per_s),
    ...(anyReuse ? [d.sustainable_with_reuse_per_s === null ? '-' : perS(d.sustainable_with_reuse_per_s)] : []),
  ]);
  const extra = p.reserved_in_range + p.bound_in_range > 0 ? `, ${n(p.usable)} usable (${n(p.reserved_in_range)} reserved, ${n(p.bound_in_range)} bound)` : '';
  return [
    `Ephemeral ports per destination (range ${p.range[0]}-${p.range[1]}: ${n(p.range_size)} ports${extra}; TIME_WAIT holds a port 60 s)`,
    ...table(['destination', 'from', 'in use', 'TIME_WAIT', 'free', 'used', 'last min', 'sustainable', ...(anyReuse ? ['w/ tw_reuse'] : [])], rows),
    ...moreLine(rows.length, ins.destinations.length, ins.more.destinations),
  ];
}

function processes(ins: Inspection, top: number): string[] {
  const { close_wait: cw, fin_wait_2: fw, seen } = ins.owners;
  const classes = cw.not_accepted_no_owner + cw.not_visible + cw.not_looked_up + fw.orphaned + fw.not_visible + fw.not_looked_up;
  if (ins.processes.length === 0 && classes === 0) return [];
  const lines = ['CLOSE_WAIT and FIN_WAIT_2 by process'];
  if (ins.processes.length > 0) {
    const rows = ins.processes
      .slice(0, top)
      .map((p) => [String(p.pid), p.command, n(p.close_wait), n(p.close_wait_not_accepted), n(p.fin_wait_2), [...p.close_wait_ports, ...p.not_accepted_ports.map((port) => `${port} (queue)`)].join(',')]);
    lines.push(...table(['pid', 'command', 'CLOSE_WAIT', 'not accepted', 'FIN_WAIT_2', 'ports'], rows, '  ', 2));
    lines.push(...moreLine(rows.length, ins.processes.length, ins.more.processes));
    lines.push('  (a socket several processes share, as after fork(), counts for each; the lines below count sockets)');
  }
  const line = (what: string, count: number): void => {
    if (count > 0) lines.push(`  ${what}: ${n(count)}`);
  };
  line(`CLOSE_WAIT never accepted, queued on a listener (port ${cw.not_accepted_ports.join(', ')}) whose process was not ${seen ? 'found' : 'looked up'}`, cw.not_accepted_no_owner);
  line('orphaned FIN_WAIT_2 (closed by this host, no process)', fw.orphaned);
  line('CLOSE_WAIT whose process is not visible', cw.not_visible);
  line('FIN_WAIT_2 whose process is not visible', fw.not_visible);
  const notLookedUp = cw.not_looked_up + fw.not_looked_up;
  if (!seen) lines.push(`  (this source does not name processes${notLookedUp > 0 ? `: ${ownerlessText(cw.not_looked_up, fw.not_looked_up)} not looked up` : ''})`);
  return lines;
}

/**
 * Listeners with connections waiting for accept(), fullest first, as `ss -ltn` shows them
 * (Recv-Q of Send-Q). Idle listeners are left out: a server has dozens at 0, and rows of
 * zeros would bury the one whose accept loop is behind; a line says how many there are.
 */
function listeners(ins: Inspection, top: number): string[] {
  const all = ins.listen_queues.listeners;
  if (all === 0) return [];
  const busy = ins.listeners.filter((l) => l.queued > 0);
  if (busy.length === 0) return [`Listeners: ${n(all)}, none with connections waiting for accept()`];
  const rows = busy
    .slice(0, top)
    .map((l) => [
      l.listener,
      (l.owners ?? []).map((o) => `${o.pid} ${o.command}`).join(', ') || '-',
      n(l.queued),
      l.backlog === null ? '?' : n(l.backlog),
      l.fill === null ? '-' : `${Math.round(l.fill * 100)}%`,
    ]);
  const unlisted = ins.more.listeners;
  return [
    `Listeners with connections waiting for accept() (${n(busy.length)}${unlisted > 0 ? '+' : ''} of ${n(all)}; backlog capped at net.core.somaxconn)`,
    ...table(['listener', 'process', 'queued', 'backlog', 'full'], rows, '  ', 2),
    ...moreLine(rows.length, busy.length, 0),
    ...(ins.listeners.some((l) => l.backlog === null) ? ['  (this source gives no backlog: /proc/net/tcp and netstat print only the queue)'] : []),
  ];
}

function memory(ins: Inspection): string[] {
  const m = ins.memory;
  if (m.timewait_sockets === 0 && m.slab_bytes === null) return [];
  const from = m.bytes_per_timewait_from === 'slabinfo' ? 'tw_sock_TCP in /proc/slabinfo' : 'assumed, as on 6.18 x86-64';
  const lines = [`Timewait memory: ${n(m.timewait_sockets)} x ${m.bytes_per_timewait} B = ${bytes(m.timewait_bytes)} (${from})`];
  if (m.slab_bytes) {
    const parts = Object.entries(m.slab_bytes)
      .filter(([, b]) => b > 0)
      .map(([name, b]) => `${name} ${bytes(b)}`);
    let line = '  whole host, slab:';
    for (const [i, part] of parts.entries()) {
      const piece = `${part}${i < parts.length - 1 ? ',' : ''}`;
      if (line.length + 1 + piece.length > WIDTH) {
        lines.push(line);
        line = `    ${piece}`;
      } else {
        line += ` ${piece}`;
      }
    }
    if (parts.length > 0) lines.push(line);
  }
  return lines;
}

function sysctls(ins: Inspection, paint: Paint): string[] {
  const shown = (v: string | null, absent: string): string => (v === null ? absent : v === '' ? '(none)' : v);
  const rows = ins.sysctls.map((r) => [r.name, shown(r.value, r.host_wide ? 'host-wide: not visible in this namespace' : '(absent)'), shown(r.default, '(gone)'), r.differs ? '*' : '']);
  const lines = table(['sysctl', 'value', 'default', ''], rows, '  ', 4);
  const title = ins.sysctls.some((r) => r.assumed) ? 'Sysctls (assumed defaults: the dump has none)' : 'Sysctls (* differs from the default)';
  return [title, ...lines.slice(0, 1).map((l) => paint('dim', l)), ...lines.slice(1)];
}

export function renderFindings(findings: readonly Finding[], paint: Paint = (_s, t) => t): string[] {
  if (findings.length === 0) return ['Findings: nothing out of the ordinary.'];
  const lines = ['Findings'];
  for (const f of findings) {
    const tag = f.severity === 'critical' ? paint('red', 'critical') : f.severity === 'warning' ? paint('yellow', 'warning') : 'info';
    lines.push(...wrap(f.summary, '    ', `  [${tag}] `));
    lines.push(...wrap(f.detail, '    '));
  }
  return lines;
}

export function renderAdvice(advice: readonly Advice[]): string[] {
  if (advice.length === 0) return ['Advice: none; nothing here needs changing.'];
  const lines = ['Advice'];
  advice.forEach((a, i) => {
    lines.push(...wrap(a.action, '     ', `  ${String(i + 1).padStart(2)}. `));
    lines.push(...wrap(`Why: ${a.reason}`, '     '));
    for (const c of a.commands) lines.push(`     $ ${c}`);
  });
  return lines;
}

function notes(ins: Inspection): string[] {
  if (ins.notes.length === 0) return [];
  return ['Not seen', ...ins.notes.flatMap((note) => wrap(note, '    ', '  - '))];
}

export function renderInspection(ins: Inspection, options: RenderOptions = {}): string {
  const paint = painter(options.color);
  const top = options.top ?? DEFAULT_TOP;
  const blocks = [
    header(ins, paint),
    options.rates ? rateLines(options.rates) : [],
    states(ins),
    breakdown(ins, 'time_wait', top),
    breakdown(ins, 'close_wait', top),
    destinations(ins, top),
    processes(ins, top),
    listeners(ins, top),
    memory(ins),
    sysctls(ins, paint),
    renderFindings(ins.findings, paint),
    renderAdvice(ins.advice),
    notes(ins),
  ].filter((b) => b.length > 0);
  return blocks.map((b) => b.join('\n')).join('\n\n') + '\n';
}

/**
 * One --watch refresh on a terminal: what moves (rates, states, the busiest destinations and
 * processes, memory) and one line per finding; the sysctls and the advice, which do not change
 * from one refresh to the next, are left to `twlab inspect` and `twlab advise`. Cut to `rows`
 * lines so that the top, where the rates are, stays on the screen.
 */
export function renderWatch(ins: Inspection, options: RenderOptions & { screen?: { rows: number; columns: number }; footer: string }): string {
  const paint = painter(options.color);
  const top = options.top ?? WATCH_TOP;
  const headlines = ins.findings.map((f) => {
    const tag = f.severity === 'critical' ? paint('red', 'critical') : f.severity === 'warning' ? paint('yellow', 'warning') : 'info';
    return `  [${tag}] ${f.summary}`;
  });
  const blocks = [
    header(ins, paint),
    // The rates are what --watch is for: wrapped to the screen, never cut.
    options.rates ? rateLines(options.rates, Math.min(WIDTH, options.screen?.columns ?? WIDTH)) : ['Rates: from the next refresh on (they need two looks at the counters)'],
    states(ins),
    destinations(ins, top),
    processes(ins, top),
    memory(ins).slice(0, 1),
    headlines.length > 0 ? ['Findings', ...headlines] : ['Findings: nothing out of the ordinary.'],
  ].filter((b) => b.length > 0);
  const lines = blocks.map((b) => b.join('\n')).join('\n\n').split('\n');
  const screen = options.screen;
  if (screen === undefined) return `${lines.join('\n')}\n${options.footer}`;
  // What does not fit the width is cut (the terminal would wrap it onto rows the rates need),
  // then what does not fit the height, keeping the top. A word longer than the screen in the
  // rates' wrapped text is cut too.
  const columns = Math.max(20, screen.columns);
  const fit = lines.map((l) => cutToWidth(l, columns));
  const footer = cutToWidth(options.footer.replace(/\n$/, ''), columns);
  const room = Math.max(5, screen.rows - 2);
  if (fit.length > room) {
    const cut = fit.length - (room - 1);
    fit.splice(room - 1, cut, cutToWidth(`... ${cut} more lines: a taller terminal, or a smaller --top, shows them`, columns));
  }
  return `${fit.join('\n')}\n${footer}\n`;
}

/** A line cut to `columns` visible characters, ending in "~" where cut; styles kept, then reset. */
function cutToWidth(line: string, columns: number): string {
  if (visibleLength(line) <= columns) return line;
  let out = '';
  let visible = 0;
  let styled = false;
  for (const part of line.split(ANSI_STYLE)) {
    if (ANSI_STYLE.test(part)) {
      out += part;
      styled = true;
      continue;
    }
    const room = columns - 1 - visible;
    if (room <= 0) break;
    out += part.slice(0, room);
    visible += Math.min(part.length, room);
  }
  return `${out}~${styled ? '\x1b[0m' : ''}`;
}

/** Rows per table in a --watch refresh, unless --top says otherwise. */
const WATCH_TOP = 5;

/** `twlab advise`: the role, the findings and the advice alone. */
export function renderAdvised(ins: Inspection, advised: Advised, options: { color?: boolean } = {}): string {
  const paint = painter(options.color);
  const what = ins.source.kind === 'host' ? `this host${ins.kernel.release ? ` (kernel ${ins.kernel.release})` : ''}` : (ins.source.path ?? 'the dump');
  const role = `${advised.role}${advised.roleInferred ? ' (inferred from its sockets; --role to set it)' : ''}`;
  const blocks = [[paint('bold', `twlab advise: ${what}, role ${role}`)], renderFindings(advised.findings, paint), renderAdvice(advised.advice), notes(ins)];
  return blocks.filter((b) => b.length > 0).map((b) => b.join('\n')).join('\n\n') + '\n';
}
