/** The synth-time override check and the handler build the same overrides: their lengths agree. */
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
