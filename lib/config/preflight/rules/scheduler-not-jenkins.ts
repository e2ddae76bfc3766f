import type { PreflightRule } from '../finding';

export const SchedulerNotJenkins: PreflightRule = {
  code: 'SDF502',
  severity: 'warning',
  name: 'scheduler engine is not jenkins',
  check: (ctx) => {
    const engine = ctx.config.scheduler?.engine;
    return engine === undefined || engine === 'jenkins'
      ? []
      : [
          {
            message: `services.scheduler.engine is '${String(engine)}': scheduler:suspend and scheduler:setup in the hooks assume Jenkins`,
            suggestion: 'use engine: jenkins, or make sure your scheduler understands vendor/bin/console scheduler:suspend and scheduler:setup',
            path: ['services', 'scheduler', 'engine'],
          },
        ];
  },
};
