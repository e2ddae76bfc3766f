import type { PreflightRule } from '../finding';

/** SCCOS picks a deploy file by its name; the pipeline takes the environment from it. */
export const FileName: PreflightRule = {
  code: 'SDF105',
  severity: 'warning',
  name: 'deploy file name breaks deploy.(project)-(environment).yml',
  check: (ctx) =>
    ctx.config.project !== undefined
      ? []
      : [
          {
            message: `'${ctx.config.fileName}' does not follow deploy.(project)-(environment).yml (project: lowercase letters and digits; environment: lowercase letters, digits, hyphens)`,
            suggestion: `rename it, e.g. deploy.myshop-${ctx.environment ?? 'production'}.yml`,
          },
        ],
};
