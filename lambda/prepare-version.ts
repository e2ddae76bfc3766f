/**
 * Please_approve, first action: resolves the version to deploy and reads the last deployed one.
 *
 * `/{env}/desired_version` is `latest` (deploy the source commit) or a commit hash (deploy that
 * commit: SCCOS's rollback). Outputs VERSION, LAST_DEPLOYED_VERSION and SOURCE_VERSION in the
 * action's variables namespace; Build_and_Prepare builds VERSION.
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { defineStep, StepFailure, type RuntimeDeps } from './runtime/job';
import { parseParams } from './runtime/params';
import { PrepareVersionParams } from '../lib/contracts/params';

/** Output variables of the action. */
export interface PrepareVersionOutput extends Record<string, string> {
  VERSION: string;
  LAST_DEPLOYED_VERSION: string;
  SOURCE_VERSION: string;
}

/** A full commit hash (SHA-1 or SHA-256 repositories): the image tag, so a short hash would be a different tag. */
export const COMMIT_HASH = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
/** The S3 object metadata key that carries the commit of an uploaded source archive. */
export const COMMIT_METADATA_KEY = 'commit';
/** LAST_DEPLOYED_VERSION before the first deployment. */
export const NONE = 'none';

export interface PrepareVersionDeps extends RuntimeDeps {
  readonly ssm?: SSMClient;
  readonly s3?: S3Client;
}

export function createHandler(deps: PrepareVersionDeps = {}) {
  const ssm = deps.ssm ?? new SSMClient({});
  const s3 = deps.s3 ?? new S3Client({});

  /** A parameter's value, or undefined when it does not exist. */
  async function readParameter(name: string): Promise<string | undefined> {
    try {
      const out = await ssm.send(new GetParameterCommand({ Name: name }));
      return out.Parameter?.Value?.trim();
    } catch (err) {
      if ((err as { name?: string }).name === 'ParameterNotFound') return undefined;
      throw err;
    }
  }

  async function sourceCommit(params: PrepareVersionParams): Promise<string> {
    const object = params.sourceObject;
    if (!object) {
      const commit = params.sourceVersion.toLowerCase();
      if (!COMMIT_HASH.test(commit)) {
        throw new StepFailure(`the source revision '${params.sourceVersion}' is not a commit hash: the Source action must be a git source (CodeStar connection or CodeCommit)`);
      }
      return commit;
    }
    const where = `s3://${object.bucket}/${object.key} (version ${params.sourceVersion})`;
    const head = await s3.send(new HeadObjectCommand({ Bucket: object.bucket, Key: object.key, VersionId: params.sourceVersion }));
    const commit = head.Metadata?.[COMMIT_METADATA_KEY]?.trim().toLowerCase();
    if (!commit) {
      throw new StepFailure(
        `${where} has no '${COMMIT_METADATA_KEY}' metadata, so its commit is unknown: upload the archive with ` +
          `\`aws s3 cp source.zip s3://${object.bucket}/${object.key} --metadata ${COMMIT_METADATA_KEY}=$(git rev-parse HEAD)\``,
      );
    }
    if (!COMMIT_HASH.test(commit)) {
      throw new StepFailure(`${where} has '${COMMIT_METADATA_KEY}' metadata '${commit}', which is not a full commit hash: set it to $(git rev-parse HEAD)`);
    }
    return commit;
  }

  return defineStep<PrepareVersionParams>(
    {
      name: 'prepare-version',
      parseParams: (raw) => parseParams('prepare-version', raw, PrepareVersionParams),
      run: async ({ params }) => {
        const [source, desired, lastDeployed] = await Promise.all([
          sourceCommit(params),
          readParameter(params.desiredVersionParameter),
          readParameter(params.lastDeployedVersionParameter),
        ]);
        const version = resolveVersion(params.desiredVersionParameter, desired, source);
        const output: PrepareVersionOutput = { VERSION: version, LAST_DEPLOYED_VERSION: lastDeployed || NONE, SOURCE_VERSION: source };
        const why = version === source ? 'the source commit' : `pinned by ${params.desiredVersionParameter}`;
        return {
          status: 'done',
          summary: `deploy ${version} (${why}); last deployed: ${output.LAST_DEPLOYED_VERSION}`,
          outputVariables: output,
        };
      },
    },
    deps,
  );
}

/** `latest` (or no parameter) → the source commit; a full hash → that commit; anything else fails. */
export function resolveVersion(parameter: string, desired: string | undefined, source: string): string {
  if (desired === undefined || desired === '' || desired.toLowerCase() === 'latest') return source;
  const hash = desired.toLowerCase();
  if (COMMIT_HASH.test(hash)) return hash;
  if (/^[0-9a-f]{4,39}$/.test(hash)) {
    throw new StepFailure(
      `${parameter} is '${desired}', a short commit hash: images are tagged with the full hash, set it to the output of \`git rev-parse ${desired}\` (or 'latest')`,
    );
  }
  throw new StepFailure(`${parameter} is '${desired}', which is neither 'latest' nor a commit hash: set it to 'latest' or to the full hash of the commit to deploy`);
}

export const handler = createHandler();
