import type { PreflightRule } from '../finding';

/** docker-sdk scales the keys separately; the pipeline would deploy them as one ECS service. */
export const SharedEcsService: PreflightRule = {
  code: 'SDF407',
  severity: 'warning',
  name: 'several applications deployed as one ECS service',
  check: (ctx) =>
    ctx.services
      .filter((s) => s.keys.length > 1 && s.types.length === 1)
      .map((s) => ({
        message: `applications ${s.keys.join(', ')} (${s.types[0]}) are deployed as one ECS service ${s.serviceName}`,
        suggestion: 'if they run as separate ECS services, pass serviceName: (app, env) => `${env}-${app.key}` (or your own naming)',
      })),
};
