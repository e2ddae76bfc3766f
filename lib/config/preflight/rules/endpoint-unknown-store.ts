import type { PreflightRule } from '../finding';

/** An endpoint for a store (or region) the shop does not have serves requests in no context. */
export const EndpointUnknownStore: PreflightRule = {
  code: 'SDF406',
  severity: 'critical',
  name: 'endpoint refers to an unknown store or region',
  check: (ctx) => {
    const regions = new Map(ctx.config.regions.map((r) => [r.name, r.stores.map((s) => s.name)]));
    // An application of a group with an unknown region is SDF405's finding.
    return ctx.config.applications.filter((a) => regions.has(a.region ?? '')).flatMap((a) => {
      const stores = regions.get(a.region ?? '') ?? [];
      return a.endpoints.flatMap((e) => {
        const path = [...a.path, 'endpoints', e.host];
        // docker-sdk identifies an endpoint by `store ?: region`: in Dynamic Multistore mode that may name a region.
        const regionAsStore = ctx.config.dynamicStoreMode && regions.has(e.store ?? '');
        if (e.store !== undefined && !stores.includes(e.store) && !regionAsStore) {
          return [{ message: `endpoint ${e.host} of ${a.key} serves store ${e.store}, which region ${a.region} does not define`, suggestion: `use one of its stores (${stores.join(', ') || 'none'}), or add the store to regions.${a.region}.stores`, path }];
        }
        if (e.region !== undefined && !regions.has(e.region)) {
          return [{ message: `endpoint ${e.host} of ${a.key} serves region ${e.region}, which regions does not define`, suggestion: `use one of ${[...regions.keys()].join(', ')}`, path }];
        }
        return [];
      });
    });
  },
};
