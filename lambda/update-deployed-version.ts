/** UpdateDeployedVersion: records the deployed version and keeps the release manifest for rollback. */
import { LabelParameterVersionCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { readArtifactFile } from './runtime/artifacts';
import { arnId } from './runtime/arn';
import { call, defineStep, type StepDefinition } from './runtime/job';
import { parseParams } from './runtime/params';
import { parseRelease, RELEASE_FILE, RELEASE_VERSION, releaseLabel, type DeployedRelease } from './runtime/release';

export interface UpdateDeployedVersionParams {
  /** SSM parameter that holds the last deployed version: `/{env}/lastdeployedversion`. */
  readonly parameter: string;
  /**
   * SSM parameter that keeps the deployed releases (`/{env}/pipeline/release`): one parameter
   * version per deploy, labelled `release-<version>`, for a rollback to find.
   */
  readonly releaseParameter: string;
}

export const step: StepDefinition<UpdateDeployedVersionParams, never> = {
  name: 'update-deployed-version',
  parseParams: (raw) =>
    parseParams<UpdateDeployedVersionParams>('update-deployed-version', raw, { parameter: 'string', releaseParameter: 'string' }),
  run: async (ctx) => {
    const { parameter, releaseParameter } = ctx.params;
    const release = parseRelease(await readArtifactFile(ctx, RELEASE_FILE), RELEASE_FILE);
    const ssm = ctx.client(SSMClient);
    const record: DeployedRelease = {
      v: RELEASE_VERSION,
      env: release.env,
      version: release.version,
      deployedAt: new Date(ctx.now()).toISOString(),
      taskDefinitions: Object.fromEntries(release.services.map((s) => [s.service, arnId(s.taskDefinition)])),
    };
    // The release first, the version last: lastdeployedversion never names a release that was not kept.
    const put = await call(
      `SSM PutParameter ${releaseParameter}`,
      ssm.send(
        new PutParameterCommand({
          Name: releaseParameter,
          Value: JSON.stringify(record),
          Type: 'String',
          Overwrite: true,
          // Standard (4 KB) while it fits; a large shop's release goes to the advanced tier (8 KB).
          Tier: 'Intelligent-Tiering',
          Description: 'Releases deployed by the pipeline (one parameter version per deploy, labelled release-<version>)',
        }),
      ),
    );
    const label = releaseLabel(release.version);
    const labelled = await call(
      `SSM LabelParameterVersion ${releaseParameter}:${put.Version} as ${label}`,
      ssm.send(new LabelParameterVersionCommand({ Name: releaseParameter, ParameterVersion: put.Version, Labels: [label] })),
    );
    if (labelled.InvalidLabels?.length) console.warn(JSON.stringify({ invalidLabels: labelled.InvalidLabels }));
    await call(
      `SSM PutParameter ${parameter}`,
      ssm.send(new PutParameterCommand({ Name: parameter, Value: release.version, Type: 'String', Overwrite: true })),
    );
    return {
      status: 'done',
      summary: `${parameter} = ${release.version}; release kept as ${releaseParameter}:${label} (version ${put.Version})`,
    };
  },
};

export const handler = defineStep(step);
