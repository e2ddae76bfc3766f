import type { PreflightRule } from '../finding';

/** One ECS service cannot run two application images. */
export const ServiceTypeConflict: PreflightRule = {
  code: 'SDF408',
  severity: 'critical',
  name: 'applications of different types named as one ECS service',
  check: (ctx) =>
    ctx.services
      .filter((s) => s.types.length > 1)
      .map((s) => ({
        message: `serviceName gives ECS service ${s.serviceName} to applications ${s.keys.join(', ')} of types ${s.types.join(', ')}`,
        suggestion: 'make serviceName return distinct names for different application types',
      })),
};
