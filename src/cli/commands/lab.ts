// `twlab lab SCENARIO`: the scenario on this machine's real kernel, in network namespaces
// (src/lab), printed as the same report or result JSON as simulate. `twlab lab --cleanup`
// removes namespaces that a killed run left behind.

import { renderText } from '../../report/text.js';
import { runSettings } from '../../scenario/overrides.js';
import type { Scenario } from '../../scenario/types.js';
import { AgentError } from '../../lab/agents.js';
import { cleanupStale, LabSetupError } from '../../lab/netns.js';
import { LabRefusal } from '../../lab/plan.js';
import { LabInterrupted, runLab, type LabResult } from '../../lab/run.js';
import { UsageError, valueOf, type Args } from '../args.js';
import { EXIT, ok, type Command, type Context, type Output } from '../command.js';
import { resolveScenario, settingsOf, withSettings } from '../scenario-arg.js';

export const labCommand: Command = {
  name: 'lab',
  operands: 'SCENARIO',
  summary: 'run a scenario on this machine\'s real Linux kernel, in network namespaces',
  about: [
    'Answers "is the model right on a real kernel?": the scenario runs on the kernel of this ' +
      'machine, one network namespace per host (twlab-<run>-<host>) joined by veth pairs, with ' +
      'the hosts\' sysctls set inside their namespaces, NAT hosts masquerading with nftables, ' +
      'faults as nftables drops, and the clients, servers and proxies as real sockets in one small ' +
      'agent process per host. It prints the same report or result JSON as simulate, with engine ' +
      '"lab" and the running kernel\'s release; socket states come from the namespaces\' own ' +
      '/proc/net/tcp (peaks are sampled), counters are the namespaces\' nstat deltas.',
    'It needs root, Linux and iproute2 (and nftables for NAT and faults). It never changes the ' +
      'host\'s own namespace: no device, route, rule or sysctl outside the twlab namespaces, which are ' +
      'removed when the run ends, fails or is interrupted (Ctrl-C). A run killed with SIGKILL leaves ' +
      'them behind; the next run removes them, or twlab lab --cleanup.',
    'What this kernel cannot honour is refused with the key that asks for it: link delay, jitter, ' +
      'loss and duplication (no netem here; veth pairs have a few microseconds of latency where the ' +
      'model puts 50us), faults matched by sender_state or that delay or duplicate, what_if knobs, ' +
      'a kernel profile other than the running kernel\'s, host-wide sysctls. --approximate runs ' +
      'what can be approximated and lists each approximation in the output. Addresses outside ' +
      '198.18.0.0/15 are remapped into it, and said so.',
  ],
  flags: [
    { name: 'json', help: 'print the result as one JSON document (format twlab-result/1, engine "lab", plus a "lab" section)', default: 'off: a report for people' },
    { name: 'approximate', help: 'run what this kernel can only approximate (link delays ignored, loss as random drops, ...) and say so', default: 'off: refuse with the keys' },
    { name: 'duration', value: 'D', help: 'how long to run, a number with a unit ms, s or m (e.g. 5s)', default: "the scenario's duration" },
    {
      name: 'set',
      value: 'KEY=VALUE',
      repeatable: true,
      help: 'change one value of the scenario, as on twlab simulate (e.g. --set client.sysctl.net.ipv4.tcp_tw_reuse=1)',
      default: 'the values in the scenario',
    },
    { name: 'cleanup', help: 'remove the namespaces (and agents) of twlab lab runs that are no longer running, then exit', default: 'off' },
  ],
  examples: [
    ['sudo twlab lab small-range-burst', '150 connections through 100 ports on the real kernel: 100 connect, 50 fail'],
    ['sudo twlab lab small-range-burst --json', 'the same as result JSON, to compare with twlab simulate small-range-burst --json'],
    ['sudo twlab lab close-wait-leak --set client.sysctl.net.ipv4.tcp_fin_timeout=3', 'the CLOSE_WAIT leak with a shorter FIN_WAIT_2 timeout'],
    ['sudo twlab lab article-lb --approximate --duration 10s', 'the article\'s topology without its link delays, addresses remapped'],
    ['sudo twlab lab --cleanup', 'remove what a killed run left behind'],
  ],
  run: runLabCommand,
};

async function runLabCommand(args: Args, context: Context): Promise<Output> {
  if (args.switches.has('cleanup')) {
    if (args.positionals.length > 0) throw new UsageError('--cleanup takes no scenario', 'lab');
    return cleanup();
  }
  const scenario = labScenario(args, 'lab');
  const outcome = await labRun(scenario, args.switches.has('approximate'), context);
  if ('code' in outcome) return outcome;
  if (args.switches.has('json')) return ok(JSON.stringify(outcome, null, 2) + '\n');
  return ok(renderText(outcome, { color: context.color, scenario }) + labNotes(outcome));
}

/** The SCENARIO operand with --duration and --set applied (shared with compare). */
export function labScenario(args: Args, command: string): Scenario {
  const [target, ...extra] = args.positionals;
  if (target === undefined) throw new UsageError(`${command} needs a scenario: twlab ${command} SCENARIO (twlab scenarios lists the built-ins)`, command);
  if (extra.length > 0) throw new UsageError(`${command} takes one scenario, got ${args.positionals.length}: ${args.positionals.join(' ')}`, command);
  const settings = [...runSettings(undefined, valueOf(args, 'duration')), ...settingsOf('--set', args.values.get('set') ?? [], command)];
  return withSettings(resolveScenario(target), settings, command);
}

/**
 * Runs lab with a progress line; what can go wrong on this machine becomes an Output that
 * says what to do. A refusal is a usage error (change the scenario or add --approximate).
 */
export async function labRun(scenario: Scenario, approximate: boolean, context: Context): Promise<LabResult | Output> {
  const { progress } = context;
  try {
    return await runLab(scenario, { approximate, ...(progress ? { onProgress: (t: string) => progress.update(t) } : {}) });
  } catch (e) {
    if (e instanceof LabRefusal) return { code: EXIT.usage, stdout: '', stderr: `twlab: ${e.message}\n` };
    if (e instanceof LabSetupError || e instanceof AgentError || e instanceof LabInterrupted) {
      return { code: EXIT.failure, stdout: '', stderr: `twlab lab: ${e.message}\n` };
    }
    throw e;
  } finally {
    progress?.done();
  }
}

function cleanup(): Output {
  let report;
  try {
    report = cleanupStale();
  } catch (e) {
    return { code: EXIT.failure, stdout: '', stderr: `twlab lab --cleanup: ${(e as Error).message}\n` };
  }
  const lines = [
    report.removed.length === 0 ? 'No leftover twlab namespaces.' : `Removed ${report.removed.length} namespaces: ${report.removed.join(', ')}`,
    ...(report.inUse.length > 0 ? [`Left alone (their run is still going): ${report.inUse.join(', ')}`] : []),
  ];
  if (report.failed.length > 0) {
    return { code: EXIT.failure, stdout: lines.join('\n') + '\n', stderr: `twlab lab --cleanup: could not remove ${report.failed.join(', ')} (are you root?)\n` };
  }
  return ok(lines.join('\n') + '\n');
}

function labNotes(r: LabResult): string {
  const items = [...r.lab.notes, `${r.lab.peak_samples} looks at the sockets, at most ${r.lab.peak_max_gap_s} s apart.`];
  return ['', 'Lab notes:', ...items.flatMap((n) => wrap(n, NOTE_WIDTH).map((line, i) => (i === 0 ? `  - ${line}` : `    ${line}`)))].join('\n') + '\n';
}

/** Notes are wrapped to this width, as the report's sentences are. */
const NOTE_WIDTH = 96;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
