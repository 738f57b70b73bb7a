// Saves this network namespace's netlink sock_diag replies, as inspect receives them, for
// the parser tests: OUT_DIR/sock-diag-inet.bin and sock-diag-inet6.bin, each the reply
// datagrams of one family's dump one after the other (each datagram holds whole messages,
// so the concatenation reads the same). Run by test/fixtures/inspect/capture.sh inside the
// namespace: `ip netns exec NS node dist/test/inspect/sock-diag-capture.js OUT_DIR`.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNetlinkSockets } from '../../src/inspect/netlink.js';
import { AF_INET } from '../../src/inspect/sock-diag.js';

const [dir] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: sock-diag-capture.js OUT_DIR');
const replies: Record<'inet' | 'inet6', Buffer[]> = { inet: [], inet6: [] };
const r = readNetlinkSockets({ onReply: (family, datagram) => replies[family === AF_INET ? 'inet' : 'inet6'].push(Buffer.from(datagram)) });
if ('failed' in r) throw new Error(`netlink: ${r.failed}`);
for (const [name, list] of Object.entries(replies)) writeFileSync(join(dir, `sock-diag-${name}.bin`), Buffer.concat(list));
console.error(`saved ${r.sockets.length} sockets' replies in ${dir}/sock-diag-inet{,6}.bin`);
