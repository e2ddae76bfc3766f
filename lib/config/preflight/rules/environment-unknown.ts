import type { PreflightRule } from '../finding';

export const EnvironmentUnknown: PreflightRule = {
  code: 'SDF106',
  severity: 'critical',
  name: 'environment unknown',
  check: (ctx) =>
    ctx.environment !== undefined
      ? []
      : [
          {
            message: `the environment cannot be taken from the file name '${ctx.config.fileName}' and props set none`,
            suggestion: 'name the file deploy.(project)-(environment).yml, set environment in the props, or pass --environment <env> to `cdk-spryker-pipeline validate`',
          },
        ],
};
