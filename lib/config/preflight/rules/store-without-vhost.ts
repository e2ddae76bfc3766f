import type { PreflightRule } from '../finding';

/** Without a vhost the store's queues have nowhere to live: Zed fails on its first message. */
export const StoreWithoutVhost: PreflightRule = {
  code: 'SDF301',
  severity: 'critical',
  name: 'store without a broker namespace',
  check: (ctx) =>
    ctx.config.dynamicStoreMode
      ? []
      : ctx.config.regions
          .flatMap((r) => r.stores)
          .filter((s) => s.brokerNamespace === undefined)
          .map((s) => ({
            message: `store ${s.name} of region ${s.region} has no services.broker.namespace (its RabbitMQ vhost)`,
            suggestion: `add services: { broker: { namespace: ${s.name.toLowerCase()}_queue } } to the store`,
            path: s.path,
          })),
};
