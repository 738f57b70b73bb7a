// Saves this network namespace's netlink sock_diag replies, as inspect receives them, for
// the parser tests: OUT_DIR/sock-diag-both.bin (the TCPDIAG_GETSOCK dump of both families
// that inspect asks first), and sock-diag-inet.bin and sock-diag-inet6.bin (the
// SOCK_DIAG_BY_FAMILY dumps it falls back to). Each file is the reply datagrams one after
// the other (each datagram holds whole messages, so the concatenation reads the same). Run
// by test/fixtures/inspect/capture.sh inside the namespace:
// `ip netns exec NS node dist/test/inspect/sock-diag-capture.js OUT_DIR`.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNetlinkSockets, type DumpName } from '../../src/inspect/netlink.js';

const [dir] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: sock-diag-capture.js OUT_DIR');
const FILES: Record<DumpName, string> = { TCPDIAG_GETSOCK: 'sock-diag-both.bin', AF_INET: 'sock-diag-inet.bin', AF_INET6: 'sock-diag-inet6.bin' };
const replies = new Map<DumpName, Buffer[]>();
const save = (request: DumpName, datagram: Uint8Array): void => void replies.set(request, [...(replies.get(request) ?? []), Buffer.from(datagram)]);
for (const perFamily of [false, true]) {
  const r = readNetlinkSockets({ perFamily, onReply: save });
  if ('failed' in r) throw new Error(`netlink: ${r.failed}`);
  console.error(`${perFamily ? 'per family' : 'both families'}: ${r.sockets.length} sockets`);
}
for (const [request, list] of replies) writeFileSync(join(dir, FILES[request]), Buffer.concat(list));
console.error(`saved ${[...replies.keys()].map((r) => FILES[r]).join(', ')} in ${dir}`);
