// `node --import ./module-log.js PROGRAM`: writes the URL of every module PROGRAM loads to
// stderr, one `module-log URL` line each, so a test can see what a command loads. The same
// file is the hooks module: registered from the main thread, it runs in Node's hooks thread.

import { writeSync } from 'node:fs';
import { register, type LoadHook } from 'node:module';
import { isMainThread } from 'node:worker_threads';

export const MODULE_LOG_PREFIX = 'module-log ';

if (isMainThread) register(import.meta.url);

export const load: LoadHook = async (url, context, next) => {
  writeSync(2, `${MODULE_LOG_PREFIX}${url}\n`);
  return next(url, context);
};
