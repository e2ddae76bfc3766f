import type { PreflightRule } from '../finding';

/** One host routed to two applications: the load balancer can send it to only one. */
export const DuplicateEndpoint: PreflightRule = {
  code: 'SDF403',
  severity: 'critical',
  name: 'endpoint served by two applications',
  check: (ctx) => {
    const owner = new Map<string, string>();
    return ctx.config.applications.flatMap((a) =>
      a.endpoints.flatMap((e) => {
        const first = owner.get(e.host);
        if (first === undefined) {
          owner.set(e.host, a.key);
          return [];
        }
        return [
          {
            message: `endpoint ${e.host} of application ${a.key} is also an endpoint of ${first}`,
            suggestion: 'endpoints are project-wide unique: give each application its own host name',
            path: [...a.path, 'endpoints', e.host],
          },
        ];
      }),
    );
  },
};
