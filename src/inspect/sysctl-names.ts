// The sysctls inspect reads and reports: the ones twlab models (src/tcp/sysctl.ts), and
// tcp_tw_recycle, to say whether this kernel still has it (removed in 4.12).

import { sysctlNames } from '../tcp/sysctl.js';

export const INSPECTED_SYSCTLS: readonly string[] = [...sysctlNames('linux-6.18'), 'net.ipv4.tcp_tw_recycle'].sort();
