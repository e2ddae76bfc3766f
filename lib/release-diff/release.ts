/** Assembles the release diff from the facts of either route (git history or two source archives). */
import { diffComposerLock } from './composer';
import { diffDeployFile } from './deploy-file';
import { brokerConfigMentions, diffTrees, groupOf } from './groups';
import { utf8, type ReleaseFacts } from './git';
import { diffSchema, readSchema } from './schema';
import {
  REPORT_VERSION,
  type BrokerChange,
  type DeployFileChange,
  type FileChange,
  type ImagePlan,
  type ReleaseDiff,
  type ReleaseDiffJson,
} from './types';

export interface ReleaseInput extends ReleaseFacts {
  readonly fromVersion: string;
  readonly toVersion: string;
  /** Whether `commits` come from git history. */
  readonly history: boolean;
  /** Image keys and those already tagged with the version in ECR. @default - no image plan */
  readonly images?: { readonly all: string[]; readonly existing: string[] };
}

/** The facts of the S3 route: two whole trees, compared by content; no commits. */
export function archiveFacts(from: ReadonlyMap<string, Uint8Array>, to: ReadonlyMap<string, Uint8Array>, direction: ReleaseFacts['direction']): ReleaseFacts {
  return { direction, commits: [], changes: diffTrees(from, to), from: new Map(from), to: new Map(to) };
}

export function computeRelease(input: ReleaseInput): ReleaseDiff {
  const text = (side: ReadonlyMap<string, Uint8Array>, p: string) => utf8(side.get(p));
  const byGroup = (name: string) => input.changes.filter((c) => groupOf(c.path) === name);
  const schemaFiles = byGroup('schema');
  const schemaSide = (side: ReadonlyMap<string, Uint8Array>) => new Map(schemaFiles.flatMap((c) => (side.has(c.path) ? [[c.path, text(side, c.path)!] as [string, string]] : [])));
  const schema = diffSchema(readSchema(schemaSide(input.from)), readSchema(schemaSide(input.to)));

  const broker: BrokerChange[] = [];
  const deployFile: DeployFileChange[] = byGroup('deployFile').map((c) => {
    const d = diffDeployFile(text(input.from, c.path), text(input.to, c.path));
    broker.push(...d.broker.map((section) => ({ path: c.path, section })));
    return { ...c, sections: d.sections, hooks: d.hooks };
  });
  const other: FileChange[] = input.changes.filter((c) => groupOf(c.path) === undefined);
  for (const c of byGroup('brokerConfig')) {
    if (brokerConfigMentions(text(input.from, c.path)) || brokerConfigMentions(text(input.to, c.path))) broker.push({ path: c.path, section: 'config' });
    else other.push(c);
  }
  const lock = 'composer.lock';
  const composer = byGroup('composer').length ? diffComposerLock(text(input.from, lock), text(input.to, lock)) : [];
  const images: ImagePlan | undefined = input.images && {
    build: input.images.all.filter((i) => !input.images!.existing.includes(i)),
    reuse: input.images.all.filter((i) => input.images!.existing.includes(i)),
  };
  return {
    v: REPORT_VERSION,
    from: input.fromVersion,
    to: input.toVersion,
    direction: input.direction,
    commits: input.commits,
    history: input.history,
    groups: { schema: schemaFiles, deployFile, recipes: byGroup('recipes'), scheduler: byGroup('scheduler'), composer, frontend: byGroup('frontend') },
    broker,
    other,
    schemaRisk: schema.risk,
    breaking: schema.breaking,
    additive: schema.additive,
    ...(images && { images }),
  };
}

/** The CLI's `--json` shape. */
export function toJson(diff: ReleaseDiff): ReleaseDiffJson {
  return { from: diff.from, to: diff.to, commits: diff.commits, groups: diff.groups, schemaRisk: diff.schemaRisk, breaking: diff.breaking };
}
