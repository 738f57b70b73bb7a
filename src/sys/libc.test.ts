// libc.ts loads koffi's native module straight from its prebuilt package when it can, and
// leaves anything unexpected to koffi's own entry point.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadLibc, prebuiltKoffi } from './libc.js';

const fakeKoffi = { load: () => ({ func: () => () => 0 }), errno: () => 0 };

describe('koffi, straight from its prebuilt package', () => {
  it('asks for the glibc binary of x64 or arm64 and takes it when it has load() and errno()', () => {
    for (const arch of ['x64', 'arm64']) {
      const asked: string[] = [];
      const got = prebuiltKoffi((id) => (asked.push(id), fakeKoffi), arch);
      assert.equal(got, fakeKoffi);
      assert.deepEqual(asked, [`@koromix/koffi-linux-${arch}/linux_${arch}/koffi.node`]);
    }
  });

  it("leaves koffi's entry point to find it otherwise: other architectures, a missing package, something else there", () => {
    let asked = 0;
    assert.equal(prebuiltKoffi(() => (asked++, fakeKoffi), 'riscv64'), undefined);
    assert.equal(asked, 0);
    const missing = (): never => {
      throw new Error("Cannot find module '@koromix/koffi-linux-x64/linux_x64/koffi.node'");
    };
    assert.equal(prebuiltKoffi(missing, 'x64'), undefined);
    assert.equal(prebuiltKoffi(() => ({ version: '3.3.4' }), 'x64'), undefined);
  });

  it('here, the prebuilt module is what koffi itself loads, and the C library answers through it', { skip: process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64') }, () => {
    const require = createRequire(import.meta.url);
    const direct = prebuiltKoffi(require);
    assert.ok(direct, 'the prebuilt package is installed with koffi');
    assert.equal(direct, (require('koffi') as { default: unknown }).default);
    const libc = loadLibc();
    assert.notEqual(typeof libc, 'string', String(libc));
    if (typeof libc === 'string') return;
    assert.equal(libc.func('int getpid(void)')(), process.pid);
  });

  it('koffi installed but not loadable (node --no-addons): says what Node said, not "not installed"', { skip: process.platform !== 'linux' }, () => {
    const url = new URL('./libc.js', import.meta.url).href;
    const r = spawnSync(process.execPath, ['--no-addons', '--input-type=module', '-e', `const m = await import(${JSON.stringify(url)}); console.log(m.loadLibc());`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^the optional dependency koffi could not be loaded \(ERR_DLOPEN_DISABLED: /);
  });
});
