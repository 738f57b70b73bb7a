// `twlab advise`: the findings and advice of inspect alone, for a role, each item with its
// reason and the command that applies it. This module is what help and the parser need;
// advise-run.ts does the work.

import type { Command } from '../command.js';
import { BEHIND_NAT_FLAG, FROM_FLAG, ROLE_FLAG } from './inspect.js';

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
    ['twlab advise --from sockets.txt --role client', 'for a host whose `ss -tanpe` you saved'],
  ],
  load: async () => (await import('./advise-run.js')).runAdvise,
};
