import type { PreflightRule } from '../finding';

export const ApplicationWithoutType: PreflightRule = {
  code: 'SDF404',
  severity: 'critical',
  name: 'application without a type',
  check: (ctx) =>
    ctx.config.applications
      .filter((a) => a.application === undefined)
      .map((a) => ({
        message: `application ${a.key} of group ${a.group} has no 'application:' type`,
        suggestion: 'add application: yves (or zed, glue, backoffice, backend-gateway, merchant-portal, ...)',
        path: a.path,
      })),
};
