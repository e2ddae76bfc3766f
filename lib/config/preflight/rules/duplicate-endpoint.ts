import type { PreflightRule } from '../finding';
import { repeats } from '../repeats';

/** One host routed to two applications: the load balancer can send it to only one. */
export const DuplicateEndpoint: PreflightRule = {
  code: 'SDF403',
  severity: 'critical',
  name: 'endpoint served by two applications',
  check: (ctx) => {
    const endpoints = ctx.config.applications.flatMap((app) => app.endpoints.map((e) => ({ app, host: e.host })));
    return repeats(endpoints, (e) => e.host).map(([{ app, host }, first]) => ({
      message: `endpoint ${host} of application ${app.key} is also an endpoint of ${first.app.key}`,
      suggestion: 'endpoints are project-wide unique: give each application its own host name',
      path: [...app.path, 'endpoints', host],
    }));
  },
};
