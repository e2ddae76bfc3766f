import type { PreflightRule } from '../finding';

/** In Dynamic Multistore mode the region, not the store, owns the vhost. */
export const RegionWithoutVhost: PreflightRule = {
  code: 'SDF303',
  severity: 'critical',
  name: 'region without a broker namespace in Dynamic Multistore mode',
  check: (ctx) =>
    !ctx.config.dynamicStoreMode
      ? []
      : ctx.config.regions
          .filter((r) => r.brokerNamespace === undefined)
          .map((r) => ({
            message: `region ${r.name} has no services.broker.namespace, and SPRYKER_DYNAMIC_STORE_MODE is on: stores share their region's vhost`,
            suggestion: `add services: { broker: { namespace: ${r.name.toLowerCase()}-queue } } to regions.${r.name}`,
            path: r.path,
          })),
};
