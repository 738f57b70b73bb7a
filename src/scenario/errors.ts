// The one error a scenario file can cause. Its message is a single line an editor can jump
// to and a user can act on:
//
//   FILE:LINE:COL: KEY: what is wrong; allowed: WHAT
//
// (FILE: KEY: ... when there is no position, e.g. a file that cannot be read).

/** Where in the file: 1-based line and column, as `yaml`'s LineCounter reports them. */
export interface Position {
  line: number;
  col: number;
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  /** For scripts: every scenario problem has this code (the CLI exits 1, or 2 for usage). */
  readonly code = 'SCENARIO_INVALID';

  constructor(
    /** The file (or "builtin:NAME") as given by the caller. */
    readonly file: string,
    readonly position: Position | undefined,
    /** Key path, e.g. `clients[0].rate`, `hosts.client.sysctl.net.ipv4.tcp_tw_reuse`. */
    readonly key: string,
    /** What is wrong, naming the value. */
    readonly problem: string,
    /** What would be accepted instead. */
    readonly allowed: string,
  ) {
    super(formatScenarioError(file, position, key, problem, allowed));
  }
}

export function formatScenarioError(
  file: string,
  position: Position | undefined,
  key: string,
  problem: string,
  allowed: string,
): string {
  const where = position ? `${file}:${position.line}:${position.col}` : file;
  return oneLine(`${where}: ${key}: ${problem}; allowed: ${allowed}`);
}

/** Messages are one line whatever the parts contain (YAML messages, file names, values). */
function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}
