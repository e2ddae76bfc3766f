/**
 * UpdateDeployedVersion: keeps the release for rollback (its images protected in ECR, a record in
 * the release history), sets `/{env}/lastdeployedversion`, and prunes the history to the newest
 * `keepReleases`.
 */
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { BatchDeleteImageCommand, BatchGetImageCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { readArtifactFile } from './runtime/artifacts';
import { arnId } from './runtime/arn';
import { call, defineStep, describeError, StepFailure, type StepDefinition } from './runtime/job';
import { mapLimit } from './runtime/map-limit';
import { parseParams } from './runtime/params';
import { DEPLOYED_AT_INDEX, DeployedRelease } from '../lib/contracts/release';
import { UpdateDeployedVersionParams } from '../lib/contracts/params';
import {
  DEPLOYED_RELEASE_VERSION,
  IMAGES_FILE,
  imageRef,
  keptTag,
  parseImages,
  parseRelease,
  RELEASE_FILE,
} from './runtime/release';

/** ECR and DynamoDB calls in flight at once. */
const CONCURRENCY = 4;
/** Media types the protective tag is put with, as pushed (a multi-architecture index stays an index). */
const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

export const step: StepDefinition<UpdateDeployedVersionParams, never> = {
  name: 'update-deployed-version',
  parseParams: (raw) => parseParams('update-deployed-version', raw, UpdateDeployedVersionParams),
  run: async (ctx) => {
    const { parameter, releaseTable, keepReleases, keptTagPrefix } = ctx.params;
    const release = parseRelease(await readArtifactFile(ctx, RELEASE_FILE, ctx.params.releaseArtifact), RELEASE_FILE);
    const images = parseImages(await readArtifactFile(ctx, IMAGES_FILE, ctx.params.imagesArtifact), IMAGES_FILE);
    if (images.version !== release.version) {
      throw new StepFailure(`${IMAGES_FILE} is of version ${images.version}, ${RELEASE_FILE} of ${release.version}: both inputs must come from the same pipeline execution`);
    }
    const record: DeployedRelease = {
      v: DEPLOYED_RELEASE_VERSION,
      env: release.env,
      version: release.version,
      releaseId: release.preparedAt,
      deployedAt: new Date(ctx.now()).toISOString(),
      taskDefinitions: Object.fromEntries(release.services.map((s) => [s.service, arnId(s.taskDefinition)])),
      images: [...new Set(Object.values(images.images))].sort(),
    };
    const tag = keptTag(keptTagPrefix, release.version);
    const ecr = ctx.client(ECRClient);
    const ddb = ctx.client(DynamoDBClient);
    const ssm = ctx.client(SSMClient);

    // Order matters: images protected before the record exists, the record before the version names
    // it; so a kept release never references an image the lifecycle policy may expire.
    const bad = record.images.filter((uri) => !imageRef(uri));
    if (bad.length) throw new StepFailure(`${IMAGES_FILE} names image(s) ${bad.join(', ')}, not <repository uri>@sha256:<digest>: check Build_and_Prepare's output`);
    const tagged = await mapLimit(record.images, CONCURRENCY, (uri) => protect(ecr, imageRef(uri)!, tag));
    const recorded = await putRecord(ddb, releaseTable, record);
    // Unchanged on a rerun: every write is a new parameter version, and SSM keeps 100.
    const current = await call(
      `SSM GetParameter ${parameter}`,
      ssm.send(new GetParameterCommand({ Name: parameter })).catch((err) => (err.name === 'ParameterNotFound' ? undefined : Promise.reject(err))),
    );
    const versionWritten = current?.Parameter?.Value !== release.version;
    if (versionWritten) {
      await call(`SSM PutParameter ${parameter}`, ssm.send(new PutParameterCommand({ Name: parameter, Value: release.version, Type: 'String', Overwrite: true })));
    }
    // Pruning only tidies: a failure leaves extra releases kept (the next run prunes them) and fails nothing.
    const pruned = await prune(ecr, ddb, releaseTable, release.env, keepReleases, keptTagPrefix).catch((err: unknown) => {
      const warning = `pruning the release history failed (${describeError(err).message}); the next run prunes again`;
      console.warn(JSON.stringify({ warning }));
      return warning;
    });
    const what = recorded ? `release ${release.version} kept` : `release ${release.version} was already kept (nothing written)`;
    return {
      status: 'done',
      summary:
        `${parameter} = ${release.version}${versionWritten ? '' : ' (unchanged)'}; ${what} in ${releaseTable}, ` +
        `${tagged.filter(Boolean).length} of ${record.images.length} image(s) newly tagged ${tag}; ` +
        (typeof pruned === 'string' ? pruned : `${pruned.length} release(s) beyond the newest ${keepReleases} pruned${pruned.length ? `: ${pruned.join(', ')}` : ''}`),
    };
  },
};

export const handler = defineStep(step);

/** Adds the protective tag to an image (the existing manifest, a new tag); false when it already has it. */
async function protect(ecr: ECRClient, ref: { repositoryName: string; imageDigest: string }, tag: string): Promise<boolean> {
  const where = `${ref.repositoryName}@${ref.imageDigest}`;
  const got = await call(
    `ECR BatchGetImage ${where}`,
    ecr.send(new BatchGetImageCommand({ repositoryName: ref.repositoryName, imageIds: [{ imageDigest: ref.imageDigest }], acceptedMediaTypes: MANIFEST_TYPES })),
  );
  const image = got.images?.[0];
  if (!image?.imageManifest) {
    const failure = got.failures?.[0];
    throw new StepFailure(
      `image ${where} of the deployed release is gone from ECR (${failure?.failureCode ?? 'not found'}: ${failure?.failureReason ?? ''}), so the release cannot be kept for rollback: ` +
        "check the repository's lifecycle policy (it must keep images tagged with the kept-release prefix), then rerun the pipeline",
    );
  }
  try {
    await ecr.send(
      new PutImageCommand({ repositoryName: ref.repositoryName, imageManifest: image.imageManifest, imageManifestMediaType: image.imageManifestMediaType, imageDigest: ref.imageDigest, imageTag: tag }),
    );
    return true;
  } catch (err) {
    // A rerun, or the other delivery of this job, tagged it first.
    if ((err as { name?: string }).name === 'ImageAlreadyExistsException') return false;
    const { message, type } = describeError(err);
    throw new StepFailure(`ECR PutImage ${where} with tag ${tag} (protecting the release's image from the lifecycle policy) failed: ${message}`, type);
  }
}

/**
 * Writes the record unless this very release (same version and release.json) is there already: a
 * conditional put, so two deliveries in flight write it once. Returns whether it wrote.
 */
async function putRecord(ddb: DynamoDBClient, table: string, record: DeployedRelease): Promise<boolean> {
  try {
    await ddb.send(
      new PutItemCommand({
        TableName: table,
        Item: marshall(record),
        ConditionExpression: 'attribute_not_exists(#version) OR #releaseId <> :releaseId',
        ExpressionAttributeNames: { '#version': 'version', '#releaseId': 'releaseId' },
        ExpressionAttributeValues: marshall({ ':releaseId': record.releaseId }),
      }),
    );
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    const { message, type } = describeError(err);
    throw new StepFailure(`DynamoDB PutItem ${table} (release ${record.version}) failed: ${message}; the release is deployed but not yet kept: rerun UpdateDeployedVersion`, type);
  }
}

/** Deletes the releases beyond the newest `keep` (by deployedAt) and removes their protective tags; returns their versions. */
async function prune(ecr: ECRClient, ddb: DynamoDBClient, table: string, env: string, keep: number, prefix: string): Promise<string[]> {
  const stale: { version: string; deployedAt: string }[] = [];
  let seen = 0;
  let start: Record<string, any> | undefined;
  do {
    const page = await call(
      `DynamoDB Query ${table} (index ${DEPLOYED_AT_INDEX})`,
      ddb.send(
        new QueryCommand({
          TableName: table,
          IndexName: DEPLOYED_AT_INDEX,
          KeyConditionExpression: '#env = :env',
          ExpressionAttributeNames: { '#env': 'env' },
          ExpressionAttributeValues: marshall({ ':env': env }),
          ScanIndexForward: false,
          ExclusiveStartKey: start,
        }),
      ),
    );
    for (const item of page.Items ?? []) {
      if (seen++ >= keep) stale.push(unmarshall(item) as { version: string; deployedAt: string });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const pruned: string[] = [];
  await mapLimit(stale, CONCURRENCY, async ({ version, deployedAt }) => {
    const key = marshall({ env, version });
    // Only if it was not deployed again meanwhile (a rollback to it moves deployedAt). The record goes
    // before its tags: tags left by a failure are only extra protection (the first lifecycle rule caps them).
    const deleted = await call(
      `DynamoDB DeleteItem ${table} ${version}`,
      ddb
        .send(
          new DeleteItemCommand({
            TableName: table,
            Key: key,
            ConditionExpression: '#deployedAt = :deployedAt',
            ExpressionAttributeNames: { '#deployedAt': 'deployedAt' },
            ExpressionAttributeValues: marshall({ ':deployedAt': deployedAt }),
            ReturnValues: 'ALL_OLD',
          }),
        )
        .catch((err) => (err instanceof ConditionalCheckFailedException ? undefined : Promise.reject(err))),
    );
    if (!deleted?.Attributes) return;
    pruned.push(version);
    const old = DeployedRelease.safeParse(unmarshall(deleted.Attributes));
    // A record this handler cannot read keeps its tags: extra protection only, the first lifecycle rule caps them.
    if (!old.success) return console.warn(JSON.stringify({ warning: `pruned release ${version} is not a version-${DEPLOYED_RELEASE_VERSION} record: its images keep tag ${keptTag(prefix, version)}` }));
    const tag = keptTag(prefix, version);
    for (const repositoryName of new Set(old.data.images.map((uri) => imageRef(uri)?.repositoryName).filter((r): r is string => !!r))) {
      // An image already expired or untagged answers with a failure entry, not an error: nothing to do.
      await call(`ECR BatchDeleteImage ${repositoryName}:${tag}`, ecr.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: tag }] })));
    }
  });
  return pruned;
}
