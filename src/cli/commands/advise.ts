// `twlab advise`: the findings and advice of inspect alone, for a role, each item with its
// reason and the command that applies it.

import { renderAdvised } from '../../inspect/render.js';
import { UsageError, type Args } from '../args.js';
import { ok, type Command, type Context, type Output } from '../command.js';
import { adviseOptions, BEHIND_NAT_FLAG, FROM_FLAG, inspectFromArgs, isOutput, ROLE_FLAG } from './inspect.js';

export const adviseCommand: Command = {
  name: 'advise',
  operands: '',
  summary: 'what to change about TIME_WAIT, CLOSE_WAIT and ports here, and why',
  about: [
    "Looks at this host as twlab inspect does and prints only the findings and the advice: each item with its reason, tied to what was seen and to this kernel's behaviour, and the commands that apply it.",
    'The advice depends on the role: a client (or proxy) runs out of ephemeral ports per destination and can use keep-alive, tcp_tw_reuse=1 and a wider ip_local_port_range; a server pays TIME_WAIT on its listening port, which costs memory, not ports. Without --role it is inferred from the sockets. It also corrects the usual myths: tcp_fin_timeout does not shorten TIME_WAIT, tcp_tw_recycle is gone (4.12) and broke NAT, tcp_tw_reuse=2 is loopback only, SO_LINGER 0 loses data.',
  ],
  flags: [{ name: 'json', help: 'print one JSON document', default: 'off: text for people' }, ROLE_FLAG, BEHIND_NAT_FLAG, FROM_FLAG],
  examples: [
    ['twlab advise', 'advice for this host, role inferred'],
    ['twlab advise --role proxy', 'for a load balancer or proxy'],
    ['twlab advise --role server --behind-nat', 'a server whose clients come through NAT'],
    ['twlab advise --from sockets.txt --role client', 'for a host whose `ss -tanp` you saved'],
  ],
  run: runAdvise,
};

function runAdvise(args: Args, context: Context): Output {
  if (args.positionals.length > 0) throw new UsageError(`advise takes no operands, got ${args.positionals.join(' ')}`, 'advise');
  const r = inspectFromArgs(args, 'advise', adviseOptions(args, 'advise'));
  if (isOutput(r)) return r;
  const ins = r.analysis.inspection;
  const { advised } = r;
  if (args.switches.has('json')) {
    const doc = {
      twlab_advise: 1,
      role: advised.role,
      role_inferred: advised.roleInferred,
      source: ins.source,
      kernel: ins.kernel,
      findings: advised.findings,
      advice: advised.advice,
      notes: ins.notes,
    };
    return ok(JSON.stringify(doc, null, 2) + '\n');
  }
  return ok(renderAdvised(ins, advised, { color: context.color }));
}
