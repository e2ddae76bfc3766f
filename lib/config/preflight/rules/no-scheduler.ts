import type { PreflightRule } from '../finding';

/** Run_pre-deploy_hook suspends the scheduler and Run_install sets it up: SCCOS always has one. */
export const NoScheduler: PreflightRule = {
  code: 'SDF501',
  severity: 'critical',
  name: 'no scheduler',
  check: (ctx) =>
    ctx.config.scheduler || ctx.props?.scheduler
      ? []
      : [
          {
            message: 'services.scheduler is missing and props give no scheduler: Deploy_Scheduler has nothing to deploy',
            suggestion: 'add services: { scheduler: { engine: jenkins } }, or pass scheduler in the props',
            path: ['services'],
          },
        ],
};
