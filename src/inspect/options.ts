// What inspect and advise can be asked for, in words the help and the parsers share: the
// saved socket lists --from reads and the roles --role names. Kept apart from the parsers
// and the advice so that `twlab inspect --help` loads neither.

export const DUMP_FORMATS = ['ss', 'netstat', 'proc'] as const;
export type DumpFormat = (typeof DUMP_FORMATS)[number];

/** What the formats are called in messages and help. */
export const DUMP_FORMATS_TEXT = '`ss -tan[pe]`, `netstat -ant[pe]`, or /proc/net/tcp and /proc/net/tcp6';

/** What the host does, for the advice (advice.ts inferRole guesses it from the sockets). */
export const ROLES = ['client', 'proxy', 'server'] as const;
export type Role = (typeof ROLES)[number];
