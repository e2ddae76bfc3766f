import type { PreflightRule } from '../finding';

export const NoApplications: PreflightRule = {
  code: 'SDF410',
  severity: 'critical',
  name: 'no application services',
  check: (ctx) =>
    (ctx.props?.services ?? ctx.services).length > 0
      ? []
      : [
          {
            message: 'groups.*.applications declares no application, and props give no services: Deploy_Spryker_services would deploy nothing',
            suggestion: 'declare the applications under groups.<group>.applications (yves, backoffice, glue, ...), or pass services in the props',
            path: ['groups'],
          },
        ],
};
