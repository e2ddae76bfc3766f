import type { PreflightRule } from '../finding';

/** docker-sdk's schema requires `endpoints` of every application (validation.yml: require, array-type). */
export const ApplicationWithoutEndpoints: PreflightRule = {
  code: 'SDF411',
  severity: 'critical',
  name: 'application without endpoints',
  check: (ctx) =>
    ctx.config.applications
      .filter((a) => !a.hasEndpoints)
      .map((a) => ({
        message: `application ${a.key} of group ${a.group} has no endpoints map: docker-sdk refuses it`,
        suggestion: `add endpoints: { <host>: { store: <store> } } to ${a.key}`,
        path: a.path,
      })),
};
