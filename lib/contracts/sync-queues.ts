/**
 * The default queue patterns of the sync catch-up, zod-free: the public API re-exports them, and a
 * consumer's .d.ts compile must not need zod's types.
 *
 * Spryker's publish and sync queues, as spryker-core names them: `publish` and `publish.<resource>`
 * (e.g. ProductStorageConfig::PUBLISH_PRODUCT_ABSTRACT = 'publish.product_abstract'), and the
 * synchronization queues `sync.storage.<resource>` (Redis) and `sync.search.<resource>`
 * (Elasticsearch/OpenSearch), e.g. ProductStorageConstants::PRODUCT_SYNC_STORAGE_QUEUE =
 * 'sync.storage.product' and ProductPageSearchConstants::PRODUCT_SYNC_SEARCH_QUEUE = 'sync.search.product'.
 */
export const DEFAULT_SYNC_QUEUES = ['publish', 'publish.*', 'sync.storage.*', 'sync.search.*'] as const;
/** Spryker's error queues (`sync.storage.product.error`, …) keep failed messages until someone looks: they never drain by themselves. */
export const DEFAULT_IGNORED_QUEUES = ['*.error'] as const;
