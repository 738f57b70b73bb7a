// The C library through koffi (an optional dependency), for the few system calls Node has
// no API for: lab's socket options (src/lab/sockopt.ts) and inspect's netlink sock_diag
// socket (src/inspect/netlink.ts). Loaded once per process, synchronously (koffi ships
// CommonJS), and never throws: without koffi, or off Linux, callers get the reason.

import { createRequire } from 'node:module';
import { constants } from 'node:os';

/** A C function bound by koffi; arguments are numbers and byte buffers here. */
export type CFunction = (...args: (number | Uint8Array)[]) => number;

export interface Libc {
  /** Binds a function of libc.so.6 from its C prototype, e.g. `int close(int fd)`. */
  func(prototype: string): CFunction;
  /** errno after the last call. */
  errno(): number;
}

export interface KoffiLike {
  load(path: string): { func(prototype: string): CFunction };
  errno(): number;
}

let loaded: Libc | string | undefined;

/** The C library, or why it cannot be had here. */
export function loadLibc(): Libc | string {
  if (loaded !== undefined) return loaded;
  if (process.platform !== 'linux') return (loaded = 'it needs Linux');
  const require = createRequire(import.meta.url);
  let koffi: KoffiLike;
  try {
    koffi = prebuiltKoffi(require) ?? (require('koffi') as KoffiLike);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND') return (loaded = 'the optional dependency koffi is not installed; npm install koffi adds it');
    // Installed but not loadable: node --no-addons (ERR_DLOPEN_DISABLED), a binary for another
    // platform, a missing shared library. Say what Node said rather than guess.
    return (loaded = `the optional dependency koffi could not be loaded (${code ?? 'error'}: ${(e as Error).message.split('\n')[0]})`);
  }
  try {
    const lib = koffi.load('libc.so.6');
    loaded = { func: (prototype) => lib.func(prototype), errno: () => koffi.errno() };
  } catch (e) {
    loaded = `koffi cannot call the C library here (${e instanceof Error ? e.message : String(e)})`;
  }
  return loaded;
}

/**
 * koffi's native module for glibc Linux on x64 or arm64, straight from the prebuilt package
 * koffi installs for it. koffi's own entry point first looks for that package and reads the
 * node binary's ELF header to tell glibc from musl: ~5 ms of the ~100 `inspect --json` spends
 * (docs/inspect.md). Anything else (musl, another platform, another layout) gets undefined,
 * and require('koffi') does it the long way.
 */
export function prebuiltKoffi(require: (id: string) => unknown, arch: string = process.arch): KoffiLike | undefined {
  if (arch !== 'x64' && arch !== 'arm64') return undefined;
  try {
    const native = require(`@koromix/koffi-linux-${arch}/linux_${arch}/koffi.node`) as Partial<KoffiLike>;
    return typeof native.load === 'function' && typeof native.errno === 'function' ? (native as KoffiLike) : undefined;
  } catch {
    return undefined;
  }
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** ECONNREFUSED for 111, as strerror's symbolic name; `errno N` for one Node does not know. */
export function errnoName(n: number): string {
  return ERRNO_NAMES.get(n) ?? `errno ${n}`;
}
