// A small socket program that builds real TCP state inside a network namespace for the
// inspect tests and the bench: run as `ip netns exec NS node load-agent.js MODE ...`.
// It prints `ready` once listening (or `done OK FAIL` after a connect batch) on stdout and
// then waits for SIGTERM, so its sockets (and their owner, this pid) stay put.
//
//   serve ADDR PORT...           accept; close after the peer does (the peer keeps TIME_WAIT)
//   hold ADDR PORT               accept and never read or close (CLOSE_WAIT once the peer closes)
//   connect ADDR PORT COUNT CONC connect COUNT times, CONC at once, closing first (TIME_WAIT
//                                here); prints `done OK FAIL` and exits
//   halfclose ADDR PORT COUNT    connect and shutdown(SHUT_WR) without close (FIN_WAIT_2, owned)
//   open ADDR PORT COUNT         connect and keep the connections open (ESTABLISHED)
//   dangle ADDR PORT COUNT       start connecting and print `ready` at once (SYN_SENT to a
//                                silent address)
//   bind ADDR PORT               bind a socket and neither listen nor connect (bound, inactive)
//   noaccept ADDR PORT [BACKLOG] listen (backlog 128 unless given) and never accept():
//                                connections wait in the accept queue, and those the peer
//                                closes stay there in CLOSE_WAIT, with no inode
//
// Node binds a TCP socket only to listen, and always accepts, so bind and noaccept call the C
// library through koffi (src/sys/libc.ts). ADDR there is dotted IPv4 or :: (dual-stack).

import { connect, createServer, type Socket } from 'node:net';
import { endianness } from 'node:os';
import { errnoName, loadLibc } from '../../src/sys/libc.js';

const [mode, addr, ...rest] = process.argv.slice(2);
const kept: Socket[] = [];
const noop = (): void => {};

function stay(): void {
  const timer = setInterval(noop, 1 << 30);
  process.on('SIGTERM', () => {
    clearInterval(timer);
    for (const s of kept) s.destroy();
    process.exit(0);
  });
}

function listen(port: number, onSocket: (s: Socket) => void, pauseOnConnect: boolean): Promise<void> {
  const server = createServer({ pauseOnConnect }, (s) => {
    s.on('error', noop);
    onSocket(s);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: addr, port, backlog: 4096 }, resolve);
  });
}

async function connectMany(port: number, count: number, concurrency: number, after: (s: Socket) => void): Promise<[number, number]> {
  let started = 0;
  let ok = 0;
  let fail = 0;
  await new Promise<void>((resolve) => {
    let active = 0;
    const next = (): void => {
      while (active < concurrency && started < count) {
        started++;
        active++;
        const s = connect({ host: addr as string, port });
        let settled = false;
        const finish = (good: boolean): void => {
          if (settled) return;
          settled = true;
          if (good) ok++;
          else fail++;
          active--;
          if (started === count && active === 0) resolve();
          else next();
        };
        s.once('connect', () => {
          after(s);
          finish(true);
        });
        s.once('error', () => finish(false));
      }
    };
    if (count === 0) resolve();
    else next();
  });
  return [ok, fail];
}

/** noaccept's backlog unless given. */
const NOACCEPT_BACKLOG = 128;

/** linux/socket.h, linux/in.h, linux/in6.h. */
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;

/** A TCP socket bound to ADDR:PORT by the C library and left open; given a backlog, listening too. Returns its fd. */
function rawSocket(address: string, port: number, backlog?: number): number {
  const libc = loadLibc();
  if (typeof libc === 'string') throw new Error(`cannot call the C library: ${libc}`);
  const v6 = address === '::';
  if (!v6 && !/^\d+\.\d+\.\d+\.\d+$/.test(address)) throw new Error(`${address}: expected dotted IPv4 or ::`);
  // struct sockaddr_in (16 bytes) or sockaddr_in6 (28, the address all zeros): family in host order, port big-endian.
  const sa = new Uint8Array(v6 ? 28 : 16);
  const view = new DataView(sa.buffer);
  view.setUint16(0, v6 ? AF_INET6 : AF_INET, endianness() === 'LE');
  view.setUint16(2, port);
  if (!v6) sa.set(address.split('.').map(Number), 4);
  const socket = libc.func('int socket(int domain, int type, int protocol)');
  const bind = libc.func('int bind(int fd, const void *addr, uint32_t len)');
  const listenCall = libc.func('int listen(int fd, int backlog)');
  const fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw new Error(`socket: ${errnoName(libc.errno())}`);
  if (bind(fd, sa, sa.length) !== 0) throw new Error(`bind ${address}:${port}: ${errnoName(libc.errno())}`);
  if (backlog !== undefined && listenCall(fd, backlog) !== 0) throw new Error(`listen: ${errnoName(libc.errno())}`);
  return fd;
}

async function main(): Promise<void> {
  const nums = rest.map(Number);
  switch (mode) {
    case 'serve':
      for (const port of nums) await listen(port, (s) => s.resume(), false);
      console.log('ready');
      break;
    case 'hold':
      await listen(nums[0] as number, (s) => kept.push(s), true);
      console.log('ready');
      break;
    case 'connect': {
      const [port, count, conc] = nums as [number, number, number];
      const [ok, fail] = await connectMany(port, count, conc, (s) => s.destroy());
      console.log(`done ${ok} ${fail}`);
      return; // nothing to keep: the TIME_WAIT sockets belong to the kernel
    }
    case 'halfclose': {
      const [port, count] = nums as [number, number];
      const [ok, fail] = await connectMany(port, count, 1, (s) => {
        s.on('error', noop);
        s.end();
        kept.push(s);
      });
      console.log(`done ${ok} ${fail}`);
      break;
    }
    case 'open': {
      const [port, count] = nums as [number, number];
      const [ok, fail] = await connectMany(port, count, 1, (s) => {
        s.on('error', noop);
        kept.push(s);
      });
      console.log(`done ${ok} ${fail}`);
      break;
    }
    case 'dangle': {
      const [port, count] = nums as [number, number];
      for (let i = 0; i < count; i++) {
        const s = connect({ host: addr as string, port });
        s.on('error', noop);
        kept.push(s);
      }
      console.log('ready');
      break;
    }
    case 'bind':
      rawSocket(addr as string, nums[0] as number);
      console.log('ready');
      break;
    case 'noaccept':
      rawSocket(addr as string, nums[0] as number, nums[1] ?? NOACCEPT_BACKLOG);
      console.log('ready');
      break;
    default:
      console.error(`load-agent: unknown mode ${String(mode)}`);
      process.exit(2);
  }
  stay();
}

main().catch((e: unknown) => {
  console.error(`load-agent: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
