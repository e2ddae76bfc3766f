import type { PreflightRule } from '../finding';

export const StoreVhostIgnored: PreflightRule = {
  code: 'SDF304',
  severity: 'warning',
  name: 'store broker namespace ignored in Dynamic Multistore mode',
  check: (ctx) =>
    !ctx.config.dynamicStoreMode
      ? []
      : ctx.config.regions
          .flatMap((r) => r.stores)
          .filter((s) => s.brokerNamespace !== undefined)
          .map((s) => ({
            message: `store ${s.name} sets broker namespace '${s.brokerNamespace}', but SPRYKER_DYNAMIC_STORE_MODE is on: only region namespaces become vhosts`,
            suggestion: 'remove the store-level namespace, or turn Dynamic Multistore mode off',
            path: [...s.path, 'services', 'broker', 'namespace'],
          })),
};
