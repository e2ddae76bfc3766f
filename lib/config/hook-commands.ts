import type { HookName } from '../contracts';

/** SCCOS's scheduler commands around the deployment. */
export const SCHEDULER_SUSPEND = 'vendor/bin/console scheduler:suspend -vvv --no-ansi';
export const SCHEDULER_SETUP = 'vendor/bin/console scheduler:setup -vvv --no-ansi';

/** The scheduler command each hook stage runs after its hook, in the same task. */
export const SCHEDULER_AFTER: Record<HookName, string | undefined> = {
  beforeDeploy: SCHEDULER_SUSPEND,
  install: SCHEDULER_SETUP,
  destructiveInstall: SCHEDULER_SETUP,
  afterDeploy: undefined,
};

/** ECS refuses RunTask overrides longer than this, JSON included. */
export const MAX_OVERRIDES_LENGTH = 8192;

/**
 * Length of the RunTask overrides the run-hook handler sends for a hook: `sh -c` running the hook
 * and then the scheduler command, each as its own argument, in the named container. Mirrors
 * lambda/run-hook.ts's hookCommand/hookOverrides (test/lambda/hook-overrides.test.ts keeps the two equal).
 */
export function hookOverridesLength(container: string, hook: string, then: string | undefined): number {
  const commands = [hook, ...(then ? [then] : [])];
  const command = ['sh', '-c', commands.map((_, i) => `sh -ec "$${i + 1}"`).join(' && '), 'spryker-hook', ...commands];
  return JSON.stringify({ containerOverrides: [{ name: container, command }] }).length;
}
