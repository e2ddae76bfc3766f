import { ZED_APPLICATIONS } from '../../types';
import { hookApplication, type PreflightRule } from '../finding';

/** The hooks run Zed's console (vendor/bin/install): they need a Zed application's task definition. */
export const NoHookApplication: PreflightRule = {
  code: 'SDF409',
  severity: 'critical',
  name: 'no application to run the hooks in',
  check: (ctx) => {
    const apps = (ctx.props?.services ?? ctx.services.map((s) => s.props)).map((s) => s.application);
    const hookService = ctx.props ? ctx.props.hookService : hookApplication(ctx.services);
    if (apps.length === 0 || (hookService !== undefined && apps.includes(hookService))) return [];
    return [
      {
        message: hookService
          ? `hookService '${hookService}' is not one of the applications (${apps.join(', ')})`
          : `none of the applications (${apps.join(', ')}) is a Zed application (${ZED_APPLICATIONS.join(', ')}) to run the hooks and the install in`,
        suggestion: 'add a backoffice or backend-gateway application to groups, or set hookService to the application whose task definition runs vendor/bin/install',
      },
    ];
  },
};
