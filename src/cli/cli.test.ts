// The command registry: every command under its own name, and a command loads only its own
// modules (startup time is most of a small command's time, docs/inspect.md).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../paths.js';
import { COMMANDS } from './cli.js';

const MAIN = join(repoRoot(), 'dist/src/cli/main.js');
const MODULE_LOG = join(repoRoot(), 'dist/test/module-log.js');

/** The modules of this package (paths under dist/), the packages and the Node built-ins `twlab ARGS` loads. */
function modulesLoaded(...args: string[]): { own: string[]; packages: string[]; builtins: string[] } {
  const r = spawnSync(process.execPath, ['--import', MODULE_LOG, MAIN, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const urls = [...r.stderr.matchAll(/^module-log (.*)$/gm)].map((m) => m[1] as string);
  const dist = `/dist/`;
  return {
    own: urls.filter((u) => u.startsWith('file:') && u.includes(dist) && !u.includes('/node_modules/')).map((u) => u.slice(u.indexOf(dist) + dist.length)),
    packages: urls.filter((u) => u.includes('/node_modules/')).map((u) => u.replace(/^.*\/node_modules\/((?:@[^/]+\/)?[^/]+).*$/, '$1')),
    builtins: urls.filter((u) => u.startsWith('node:')),
  };
}

describe('command registry', () => {
  it('every command is registered under the name it has', async () => {
    for (const entry of COMMANDS) assert.equal((await entry.command()).name, entry.name);
  });

  it('--version loads no command', () => {
    const { own, packages } = modulesLoaded('--version');
    assert.deepEqual(own.filter((m) => m.includes('/commands/') && !m.endsWith('/help.js')), []);
    assert.deepEqual(packages, []);
  });

  it("inspect --help loads inspect's help and flags, not its work, nor any other command", () => {
    const { own, packages } = modulesLoaded('inspect', '--help');
    assert.deepEqual(own.filter((m) => m.includes('/commands/')), ['src/cli/commands/help.js', 'src/cli/commands/inspect.js']);
    assert.deepEqual(own.filter((m) => m.startsWith('src/inspect/')), ['src/inspect/options.js']);
    assert.deepEqual(packages, []);
  });

  it('help, the overview and every command\'s, loads no package (the YAML parser takes ~50 ms to load)', () => {
    for (const args of [['--help'], ...COMMANDS.map((c) => [c.name, '--help'])]) {
      const { packages } = modulesLoaded(...args);
      assert.deepEqual(packages, [], `twlab ${args.join(' ')}`);
    }
  });

  it('inspect --json on this host loads no dump parser, text report or --watch timer, nor node:v8 (only simulating commands tune V8)', () => {
    const { own, builtins } = modulesLoaded('inspect', '--json');
    assert.deepEqual(own.filter((m) => /^src\/inspect\/(dump|ss|netstat|render|rates)\.js$/.test(m)), []);
    assert.deepEqual(builtins.filter((b) => b === 'node:v8'), []);
  });

  it('inspect loads no simulator, scenario loader or YAML parser', () => {
    const { own, packages } = modulesLoaded('inspect', '--from', join(repoRoot(), 'test/fixtures/inspect/ss-tan.txt'), '--json');
    assert.deepEqual(own.filter((m) => /^src\/(sim|net|report\/html|scenario\/(load|builtin|overrides))/.test(m)), []);
    assert.deepEqual(packages, []);
  });
});

describe('the installed command (bin/twlab)', () => {
  const LAUNCHER = join(repoRoot(), 'bin/twlab');
  // npm installs the command as a symlink in some other bin directory.
  const withLink = <T>(f: (link: string) => T): T => {
    const dir = mkdtempSync(join(tmpdir(), 'twlab-bin-'));
    try {
      const link = join(dir, 'twlab');
      symlinkSync(LAUNCHER, link);
      return f(link);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // The `node` the launcher finds on PATH is the one running these tests.
  const env = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, ...extra });

  it('runs main.js through a symlink, passing arguments and the exit code through', () => {
    withLink((link) => {
      const ok = spawnSync(link, ['--version'], { encoding: 'utf8', env: env({}) });
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /^\d+\.\d+\.\d+\s*$/);
      const bad = spawnSync(link, ['no-such-command'], { encoding: 'utf8', env: env({}) });
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /no-such-command/);
    });
  });

  it('drops NODE_EXTRA_CA_CERTS, which makes Node read a certificate bundle before any code runs', (t) => {
    // A bundle that does not exist: Node warns that it could not load it, so the warning shows
    // whether Node was given the variable.
    const missing = { NODE_EXTRA_CA_CERTS: join(tmpdir(), 'twlab-no-such-bundle.pem') };
    const direct = spawnSync(process.execPath, [MAIN, '--version'], { encoding: 'utf8', env: env(missing) });
    if (!/extra certs/i.test(direct.stderr)) {
      // Newer Node releases read the bundle only when TLS is first used: nothing to drop.
      t.skip('this Node does not read NODE_EXTRA_CA_CERTS at start-up');
      return;
    }
    const launched = spawnSync(LAUNCHER, ['--version'], { encoding: 'utf8', env: env(missing) });
    assert.equal(launched.status, 0, launched.stderr);
    assert.doesNotMatch(launched.stderr, /extra certs/i);
  });
});
