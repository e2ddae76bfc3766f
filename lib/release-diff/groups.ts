/**
 * Which changed files mean what for a Spryker deployment. Paths are repository-relative with `/`.
 */
import type { FileChange } from './types';

export type GroupName = 'schema' | 'deployFile' | 'recipes' | 'scheduler' | 'composer' | 'frontend' | 'brokerConfig';

/**
 * Path patterns of each group. `vendor/` and `node_modules/` are never in the repository of a
 * Spryker project; they are excluded all the same (a source archive made from a working copy may hold them).
 */
export const GROUP_PATTERNS: Record<GroupName, RegExp> = {
  schema: /(^|\/)[^/]+\.schema\.xml$/,
  // docker-sdk deploy files at the root and the templates they import.
  deployFile: /^(deploy[^/]*\.ya?ml|config\/deploy-templates\/.+\.ya?ml)$/,
  recipes: /^config\/install\/.+\.ya?ml$/,
  scheduler: /^config\/Zed\/cronjobs\//,
  composer: /^composer\.lock$/,
  frontend: /^(frontend\/|src\/Pyz\/Yves\/[^/]+\/Theme\/|package(-lock)?\.json$)/,
  // Store configuration: only the files that carry broker settings are broker changes (see brokerConfigMentions).
  brokerConfig: /^config\/Shared\/config_[^/]+\.php$/,
};

const EXCLUDED = /(^|\/)(vendor|node_modules|\.git)\//;

/** The group of a path, or undefined (PHP code, tests, docs, …). */
export function groupOf(path: string): GroupName | undefined {
  if (EXCLUDED.test(path)) return undefined;
  for (const [name, pattern] of Object.entries(GROUP_PATTERNS) as [GroupName, RegExp][]) {
    if (pattern.test(path)) return name;
  }
  return undefined;
}

/** Groups whose diff reads the files' contents (the others only list paths). */
export const CONTENT_GROUPS: readonly GroupName[] = ['schema', 'deployFile', 'composer', 'brokerConfig'];

/** Whether the release diff reads this changed file's content at both versions. */
export function needsContent(path: string): boolean {
  const g = groupOf(path);
  return g !== undefined && CONTENT_GROUPS.includes(g);
}

/** A store configuration file configures the broker when it names RabbitMQ's settings (RabbitMqEnv, queue connections). */
export function brokerConfigMentions(content: string | undefined): boolean {
  return content !== undefined && /RabbitMq|RABBITMQ|QueueConstants|QUEUE_ADAPTER/.test(content);
}

/** Files of two trees (path → content) compared by content: what an S3 source gives, without history. */
export function diffTrees(from: ReadonlyMap<string, Uint8Array>, to: ReadonlyMap<string, Uint8Array>): FileChange[] {
  const changes: FileChange[] = [];
  for (const [path, content] of to) {
    const before = from.get(path);
    if (!before) changes.push({ path, status: 'added' });
    else if (!Buffer.from(before).equals(content)) changes.push({ path, status: 'modified' });
  }
  for (const path of from.keys()) if (!to.has(path)) changes.push({ path, status: 'deleted' });
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
