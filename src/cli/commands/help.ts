// Help that teaches: what each command answers, examples, every flag with its default.
// Rendered from the same Command records the parser uses, so it cannot drift.

import { HELP_FLAG, type Command } from '../command.js';
import type { FlagSpec } from '../args.js';
import { wrap } from '../../report/format.js';

/** Commands product.md describes that this version does not have yet. */
export const PLANNED_COMMANDS: readonly string[] = [];

const WIDTH = 88;

export function overviewHelp(commands: readonly Command[], version: string): string {
  const nameWidth = Math.max(...commands.map((c) => `${c.name} ${c.operands}`.trimEnd().length), 'help [COMMAND]'.length);
  const entries = [...commands.map((c) => [`${c.name} ${c.operands}`.trimEnd(), c.summary]), ['help [COMMAND]', 'explain a command: what it answers, examples, flags']];
  const lines = [
    `twlab ${version}: see, predict and fix TCP TIME_WAIT, CLOSE_WAIT and ephemeral-port exhaustion`,
    '',
    'Usage: twlab COMMAND [ARGS] [FLAGS]',
    '',
    'Commands:',
    ...entries.map(([name, summary]) => `  ${(name as string).padEnd(nameWidth)}  ${summary}`),
    '',
    'Flags:',
    '  -h, --help     show this help',
    '  -V, --version  print the version of twlab',
    '',
    'Examples:',
    '  twlab simulate                        the article\'s load balancer at 1000 requests/s',
    '  twlab simulate small-range-burst      watch a 100-port range run out',
    '  twlab simulate my.yaml --json         your own scenario, as JSON for scripts',
    '  twlab simulate small-range-burst --set client.sysctl.net.ipv4.tcp_tw_reuse=1',
    '                                        the same with one sysctl changed',
    '  twlab sweep small-range-burst --vary seed=1,2,3',
    '                                        one table row per variant, run in parallel',
    '  sudo twlab compare small-range-burst  the same scenario on the model and on this kernel',
    '  sudo twlab inspect                    this host\'s TIME_WAIT, CLOSE_WAIT and ports, explained',
    '  twlab help simulate                   everything simulate can do',
    '',
    ...(PLANNED_COMMANDS.length > 0 ? [`Planned, not in this version: ${PLANNED_COMMANDS.join(', ')}.`] : []),
    'Exit status: 0 success, 1 failure, 2 usage or scenario error.',
  ];
  return lines.join('\n') + '\n';
}

export function commandHelp(command: Command): string {
  const flags = [...command.flags, HELP_FLAG];
  const usage = `twlab ${command.name}${command.operands ? ' ' + command.operands : ''}${command.flags.length > 0 ? ' [FLAGS]' : ''}`;
  const exampleWidth = Math.max(...command.examples.map(([line]) => line.length));
  const lines = [
    `twlab ${command.name}: ${command.summary}`,
    '',
    `Usage: ${usage}`,
    '',
    ...command.about.flatMap((paragraph) => [...wrap(paragraph.replace(/[ \t\n\r]+/g, ' '), WIDTH - 2).map((l) => '  ' + l), '']),
    'Flags:',
    ...flagLines(flags),
    '',
    'Examples:',
    ...command.examples.flatMap(([line, what]) =>
      exampleWidth + what.length + 6 <= WIDTH ? [`  ${line.padEnd(exampleWidth)}  # ${what}`] : [`  # ${what}`, `  ${line}`],
    ),
  ];
  return lines.join('\n') + '\n';
}

function flagLines(flags: readonly FlagSpec[]): string[] {
  const heads = flags.map((f) => `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.value ? ' ' + f.value : ''}`);
  const width = Math.max(...heads.map((h) => h.length));
  const indent = ' '.repeat(width + 4);
  return flags.flatMap((f, i) => {
    const [first = '', ...rest] = wrap(f.help.replace(/[ \t\n\r]+/g, ' '), WIDTH - indent.length);
    return [
      `  ${(heads[i] as string).padEnd(width)}  ${first}`,
      ...rest.map((l) => indent + l),
      ...(f.default ? [`${indent}default: ${f.default}`] : []),
    ];
  });
}

