/**
 * Please_approve, Release_diff: what the release changes, between the last deployed version and
 * the one to deploy, for the approver; and the rollback guard.
 *
 * Git sources: the Release_facts CodeBuild action (the only reader of a full-clone artifact) ran
 * the facts script and hands its folder over as an input artifact. S3 source: the two source
 * archives are object versions of the versioned source bucket, found by their `commit` metadata;
 * they give file changes without commits.
 *
 * Which images Build_and_Prepare will build and which it reuses: the model's image keys, asked
 * of ECR as Build_and_Prepare asks (`{env}-{key}:{version}` exists: reused).
 *
 * Writes the full report (HTML and JSON) per execution to the report bucket and outputs
 * SCHEMA_RISK (none, additive, breaking, or unknown when no diff could be made), DIRECTION,
 * SUMMARY (for the approval's comments) and REPORT_URL (the approval's link). A rollback across a
 * breaking schema change fails here, before anything changes, unless the confirm parameter holds
 * the target version.
 */
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { imageKeys, repositoryName } from '../lib/contracts/image-repository';
import { archiveFacts, computeRelease, readFacts, renderHtml, renderUnavailable, rollbackGuard, summarize, SUMMARY_LIMIT, type ReleaseDiff } from '../lib/release-diff';
import { COMMIT_METADATA_KEY, NONE } from './prepare-version';
import { readArtifactFiles, readZip } from './runtime/artifacts';
import { call, defineStep, StepFailure, type RuntimeDeps, type StepContext } from './runtime/job';
import { loadModel } from './runtime/load-model';
import { mapLimit } from './runtime/map-limit';
import { selectServices } from './runtime/model';
import { parseParams } from './runtime/params';
import { ReleaseDiffParams } from '../lib/contracts/params';

/** Output variables of the action (namespace `ReleaseDiff`). */
export interface ReleaseDiffOutput extends Record<string, string> {
  SCHEMA_RISK: ReleaseDiff['schemaRisk'] | 'unknown';
  DIRECTION: ReleaseDiff['direction'] | 'unknown';
  SUMMARY: string;
  REPORT_URL: string;
}

/** Newest object versions of the source archive searched for a commit: the bound of the lookup. */
export const MAX_ARCHIVE_VERSIONS = 100;

/** DescribeImages calls in flight at once: one per image, 50 images stay well inside ECR's request rate. */
export const ECR_CONCURRENCY = 5;

export type ReleaseDiffDeps = RuntimeDeps;

type Ctx = StepContext<ReleaseDiffParams>;

interface ArchiveVersion {
  readonly versionId: string;
  readonly lastModified: number;
}

/** The object versions of the source archive carrying each commit, newest first, within MAX_ARCHIVE_VERSIONS. */
async function findArchives(ctx: Ctx, commits: string[]): Promise<Map<string, ArchiveVersion>> {
  const { bucket, key } = ctx.params.sourceObject!;
  const s3 = ctx.client(S3Client);
  const found = new Map<string, ArchiveVersion>();
  let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
  let seen = 0;
  while (seen < MAX_ARCHIVE_VERSIONS && found.size < commits.length) {
    const page = await call(
      `S3 ListObjectVersions s3://${bucket}/${key}`,
      s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, MaxKeys: 50, ...markers })),
    );
    for (const v of (page.Versions ?? []).filter((x) => x.Key === key && x.VersionId)) {
      if (seen++ >= MAX_ARCHIVE_VERSIONS || found.size === commits.length) break;
      const head = await call(
        `S3 HeadObject s3://${bucket}/${key} (version ${v.VersionId})`,
        s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: v.VersionId })),
      );
      const commit = head.Metadata?.[COMMIT_METADATA_KEY]?.trim().toLowerCase();
      if (commit && commits.includes(commit) && !found.has(commit)) found.set(commit, { versionId: v.VersionId!, lastModified: v.LastModified?.getTime() ?? 0 });
    }
    if (!page.IsTruncated) break;
    markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
  }
  return found;
}

async function readArchive(ctx: Ctx, version: ArchiveVersion): Promise<Map<string, Buffer>> {
  const { bucket, key } = ctx.params.sourceObject!;
  const where = `s3://${bucket}/${key} (version ${version.versionId})`;
  const out = await call(`S3 GetObject ${where}`, ctx.client(S3Client).send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: version.versionId })));
  try {
    return readZip(await out.Body!.transformToByteArray());
  } catch (err) {
    throw new StepFailure(`the source archive ${where} is not a readable zip: ${(err as Error).message}`);
  }
}

/**
 * The model's image keys, and those whose `{env}-{key}:{version}` is in ECR: Build_and_Prepare
 * reuses them (scripts/build-images.sh asks DescribeImages the same) and builds the others.
 */
async function imagePlan(ctx: Ctx): Promise<{ all: string[]; existing: string[] }> {
  const model = await loadModel(ctx.client(SSMClient), ctx.params.model, ctx.now());
  const all = imageKeys(selectServices(model, 'all'));
  const ecr = ctx.client(ECRClient);
  const exists = await mapLimit(all, ECR_CONCURRENCY, (key) => {
    const repository = repositoryName(model.env, key);
    const request = ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: ctx.params.version }] })).then(
      () => true,
      (err: { name?: string }) => {
        if (err.name === 'ImageNotFoundException') return false;
        if (err.name !== 'RepositoryNotFoundException') throw err;
        throw new StepFailure(
          `ECR repository ${repository} (image '${key}' of the deployment model ${ctx.params.model}) does not exist, so Build_and_Prepare cannot push it: ` +
            'deploy the pipeline stack (it creates the repositories), or create it when the repositories are imported',
          'ConfigurationError',
        );
      },
    );
    return call(`ECR DescribeImages ${repository}:${ctx.params.version}`, request);
  });
  return { all, existing: all.filter((_, i) => exists[i]) };
}

/** The release diff, or why none can be made (the approver is told; the pipeline goes on). */
async function releaseDiff(ctx: Ctx): Promise<ReleaseDiff | { unavailable: string }> {
  const { version, lastDeployedVersion: last, sourceObject } = ctx.params;
  const base = { fromVersion: last, toVersion: version, images: await imagePlan(ctx) };
  if (!sourceObject) {
    const { files, where } = await readArtifactFiles(ctx);
    try {
      return computeRelease({ ...readFacts(files), ...base, history: true });
    } catch (err) {
      throw new StepFailure(`${where}: ${(err as Error).message}`);
    }
  }
  if (last === NONE || last === version) {
    const direction = last === NONE ? 'first' : 'same';
    return computeRelease({ ...archiveFacts(new Map(), new Map(), direction), ...base, history: false });
  }
  const archives = await findArchives(ctx, [last, version]);
  const missing = [last, version].filter((c) => !archives.has(c));
  if (missing.length) {
    return {
      unavailable:
        `no source archive with commit metadata ${missing.join(' and ')} among the newest ${MAX_ARCHIVE_VERSIONS} versions of ` +
        `s3://${sourceObject.bucket}/${sourceObject.key}: the release diff needs both versions' archives`,
    };
  }
  const [from, to] = [archives.get(last)!, archives.get(version)!];
  // Without history, the older upload is the older version: a rollback deploys an archive uploaded before the deployed one.
  const direction = to.lastModified < from.lastModified ? 'rollback' : 'forward';
  const [a, b] = await Promise.all([readArchive(ctx, from), readArchive(ctx, to)]);
  return computeRelease({ ...archiveFacts(a, b, direction), ...base, history: false });
}

async function readConfirmation(ctx: Ctx): Promise<string | undefined> {
  try {
    const out = await ctx.client(SSMClient).send(new GetParameterCommand({ Name: ctx.params.confirmParameter }));
    return out.Parameter?.Value;
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterNotFound') return undefined;
    throw new StepFailure(`SSM GetParameter ${ctx.params.confirmParameter} failed: ${(err as Error).message}`);
  }
}

export function createHandler(deps: ReleaseDiffDeps = {}) {
  return defineStep<ReleaseDiffParams>(
    {
      name: 'release-diff',
      parseParams: (raw) => parseParams('release-diff', raw, ReleaseDiffParams),
      run: async (ctx) => {
        const { params } = ctx;
        const diff = await releaseDiff(ctx);
        const verdict = 'unavailable' in diff ? { allowed: true } : rollbackGuard(diff, diff.direction === 'rollback' ? await readConfirmation(ctx) : undefined, params.confirmParameter);
        const summary = 'unavailable' in diff ? `Release diff unavailable: ${diff.unavailable}`.slice(0, SUMMARY_LIMIT) : summarize(diff);
        const key = `${params.environment}/${params.executionId}/release-diff`;
        const title = `${params.environment}: release ${params.version}`;
        const html = 'unavailable' in diff ? renderUnavailable(title, summary) : renderHtml(diff, { title, notice: verdict.message });
        const s3 = ctx.client(S3Client);
        const put = (suffix: string, body: string, contentType: string) =>
          call(`S3 PutObject s3://${params.reportBucket}/${key}${suffix}`, s3.send(new PutObjectCommand({ Bucket: params.reportBucket, Key: `${key}${suffix}`, Body: body, ContentType: contentType })));
        // Same execution, same content: a second delivery of the job writes the same report.
        await Promise.all([put('.html', html, 'text/html; charset=utf-8'), put('.json', JSON.stringify({ ...diff, rollback: verdict }, null, 2), 'application/json')]);
        const region = process.env.AWS_REGION ?? ctx.clientConfig.region;
        const url = `https://${region}.console.aws.amazon.com/s3/object/${params.reportBucket}?region=${region}&prefix=${encodeURIComponent(`${key}.html`)}`;
        if (!verdict.allowed) throw new StepFailure(`${verdict.message} (report: ${url})`);
        const output: ReleaseDiffOutput = {
          SCHEMA_RISK: 'unavailable' in diff ? 'unknown' : diff.schemaRisk,
          DIRECTION: 'unavailable' in diff ? 'unknown' : diff.direction,
          SUMMARY: summary,
          REPORT_URL: url,
        };
        return { status: 'done', summary, outputVariables: output };
      },
    },
    deps,
  );
}

export const handler = createHandler();
