/** The synth-time override check and the handler build the same overrides: their lengths agree; the command runs under the real sh. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hookOverridesLength, MAX_OVERRIDES_LENGTH as SYNTH_MAX, SCHEDULER_AFTER } from '../../lib/config/hook-commands';
import { validatePipelineProps } from '../../lib/config/validate';
import { hookCommand, hookOverrides, MAX_OVERRIDES_LENGTH } from '../../lambda/run-hook';

test.each([
  ['zed', 'vendor/bin/install -r pre-deploy -vvv', SCHEDULER_AFTER.beforeDeploy],
  ['backend-gateway', 'echo "quoted \\ and ünïcode"\nsecond line', SCHEDULER_AFTER.install],
  ['zed', 'vendor/bin/console cache:warm', undefined],
])('container %s: synth length = handler length', (container, hook, then) => {
  expect(hookOverridesLength(container, hook, then)).toBe(JSON.stringify(hookOverrides(container, hookCommand(hook, then)!)).length);
});

test('a hook whose override would pass ECS limit is refused at synth, naming the prop', () => {
  expect(SYNTH_MAX).toBe(MAX_OVERRIDES_LENGTH);
  const base = { environment: 'staging', cluster: 'c', services: [{ application: 'zed' }], scheduler: { application: 'scheduler' } };
  const fits = 'x'.repeat(MAX_OVERRIDES_LENGTH - hookOverridesLength('zed', '', SCHEDULER_AFTER.install));
  expect(validatePipelineProps({ ...base, hooks: { install: fits } })).toEqual([]);
  const problems = validatePipelineProps({ ...base, hooks: { install: `${fits}y`, afterDeploy: 'z'.repeat(9000) } });
  expect(problems).toEqual([
    { prop: 'hooks.install', message: `makes a RunTask command override of ${MAX_OVERRIDES_LENGTH + 1} characters, ECS accepts 8192: put the commands in a script in the image and call that` },
    { prop: 'hooks.afterDeploy', message: expect.stringMatching(/^makes a RunTask command override of 90\d\d characters/) },
  ]);
});

describe('the task command under the real sh', () => {
  let dir: string;
  beforeAll(() => {
    // Stub Spryker commands: each says it ran, with its arguments.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hook-sh-'));
    fs.mkdirSync(path.join(dir, 'vendor/bin'), { recursive: true });
    for (const cmd of ['install', 'console']) fs.writeFileSync(path.join(dir, 'vendor/bin', cmd), `#!/bin/sh\necho "${cmd} $*"\n`, { mode: 0o755 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const sh = (hook: string, then = SCHEDULER_AFTER.install) => {
    const [bin, ...args] = hookCommand(hook, then)!;
    expect(spawnSync(bin, ['-n', ...args.slice(0, 2)]).status).toBe(0); // the task's own script is valid sh, whatever the hook
    const out = spawnSync(bin, args, { cwd: dir, encoding: 'utf8' });
    return { status: out.status, stdout: out.stdout, ranScheduler: out.stdout.includes('console scheduler:setup -vvv --no-ansi') };
  };

  test('the default hook, then the scheduler command', () => {
    expect(sh('vendor/bin/install -r EU/production --no-ansi -vvv')).toEqual({ status: 0, stdout: 'install -r EU/production --no-ansi -vvv\nconsole scheduler:setup -vvv --no-ansi\n', ranScheduler: true });
  });

  test.each([
    ['a trailing backslash', 'vendor/bin/install -r EU/production \\'],
    ['exit 0', 'vendor/bin/install -r EU/production\nexit 0'],
    ['a comment at the end', 'vendor/bin/install -r EU/production # done'],
    ['a quoted "$2"', 'echo "$2" "$@"'],
  ])('%s in the hook cannot skip the scheduler command', (_, hook) => {
    const out = sh(hook);
    expect(out.status).toBe(0);
    expect(out.ranScheduler).toBe(true);
  });

  test.each([
    ['an unbalanced quote', "vendor/bin/install -r 'EU/production"],
    ['a failing first line (set -e inside the hook)', 'false\nvendor/bin/install -r EU/production'],
    ['exit 3', 'exit 3'],
  ])('%s fails the task, and the scheduler command does not run after a failed hook', (_, hook) => {
    const out = sh(hook);
    expect(out.status).not.toBe(0);
    expect(out.ranScheduler).toBe(false);
  });
});
