// A strict reader of the Prometheus text exposition format 0.0.4, for tests: every line is a
// # HELP, a # TYPE, a comment, blank, or a sample whose metric family was declared, with
// valid names, label syntax (escapes included) and a float value. Throws on the first
// violation with its line number; returns the samples.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Family name -> counter | gauge | histogram | summary | untyped. */
  types: Map<string, string>;
  help: Map<string, string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`not a float: "${text}"`);
  return Number(text);
}

/** Labels from just after "{": returns them and the index after "}". */
function parseLabels(line: string, start: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start;
  for (;;) {
    if (line[i] === '}') return [labels, i + 1];
    const eq = line.indexOf('=', i);
    if (eq < 0) throw new Error('label without "="');
    const name = line.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name "${name}"`);
    if (name in labels) throw new Error(`label ${name} twice`);
    if (line[eq + 1] !== '"') throw new Error(`label ${name}: value not quoted`);
    let value = '';
    let j = eq + 2;
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\') {
        const next = line[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`label ${name}: bad escape \\${next ?? ''}`);
        j++;
      } else {
        value += line[j];
      }
    }
    if (line[j] !== '"') throw new Error(`label ${name}: unterminated value`);
    labels[name] = value;
    i = j + 1;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new Error(`after label ${name}: expected "," or "}"`);
  }
}

/** The family a sample belongs to (histogram and summary samples have suffixes). */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
    if (base && (types.get(base) === 'histogram' || types.get(base) === 'summary')) return base;
  }
  return undefined;
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const seen = new Set<string>();
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const where = `line ${index + 1} ("${line.slice(0, 80)}")`;
    try {
      if (line.trim() === '') return;
      if (line.startsWith('#')) {
        const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
        if (!m) return; // a plain comment
        const [, kind, name, rest] = m as unknown as [string, string, string, string];
        if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
        if (kind === 'TYPE') {
          if (!TYPES.has(rest)) throw new Error(`unknown type ${rest}`);
          if (types.has(name)) throw new Error(`TYPE of ${name} twice`);
          if ([...seen].some((s) => familyOf(s, new Map([[name, rest]])) === name)) throw new Error(`TYPE of ${name} after its samples`);
          types.set(name, rest);
        } else {
          if (help.has(name)) throw new Error(`HELP of ${name} twice`);
          help.set(name, rest);
        }
        return;
      }
      const brace = line.indexOf('{');
      const space = line.indexOf(' ');
      const nameEnd = brace >= 0 && (space < 0 || brace < space) ? brace : space;
      if (nameEnd <= 0) throw new Error('no value');
      const name = line.slice(0, nameEnd);
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
      let labels: Record<string, string> = {};
      let rest = nameEnd;
      if (line[nameEnd] === '{') [labels, rest] = parseLabels(line, nameEnd + 1);
      const fields = line.slice(rest).trim().split(/\s+/);
      if (fields.length < 1 || fields.length > 2 || fields[0] === '') throw new Error('expected VALUE [TIMESTAMP]');
      const value = parseValue(fields[0] as string);
      if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`bad timestamp ${fields[1]}`);
      const family = familyOf(name, types);
      if (family === undefined) throw new Error(`sample ${name} has no # TYPE before it`);
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (seen.has(key)) throw new Error(`sample ${key} twice`);
      seen.add(key);
      if (types.get(family) === 'counter' && !(value >= 0)) throw new Error(`counter ${name} is ${value}`);
      samples.push({ name, labels, value });
    } catch (e) {
      throw new Error(`${where}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return { samples, types, help };
}

/** The value of the one sample with this name and these labels (undefined when absent). */
export function sampleValue(exp: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels);
  return exp.samples.find((s) => s.name === name && want.every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === want.length)?.value;
}
