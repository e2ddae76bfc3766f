/**
 * Bad inputs through the bundled runtime on the fake: every problem named by its path in ONE
 * failure, and nothing read or written before the whole input was valid (issue 15).
 */
import { step as deploy } from '../../lambda/deploy';
import { step as prepare } from '../../lambda/pre-deployment-configuration';
import { step as runHook } from '../../lambda/run-hook';
import { step as updateDeployedVersion } from '../../lambda/update-deployed-version';
import { defineStep } from '../../lambda/runtime/job';
import { FakeAws } from '../fakes/aws';
import { RELEASE_TABLE, updateParams } from '../fakes/releases';
import { IMAGES_INPUT, MODEL, putArtifact, RELEASE_OUTPUT, setupShop, useFakeAws, V2 } from '../fakes/shop';

let aws: FakeAws;
useFakeAws((started) => (aws = started));

const FIX = '(the pipeline stack writes them: redeploy it, or undo a hand edit of the action)';
/** Every request but the job's own bookkeeping (CodePipeline, the step table's exactly-once record). */
const sideRequests = () => aws.requests.map((r) => r.op).filter((op) => !op.startsWith('CodePipeline.') && !(op.startsWith('DynamoDB.') && !JSON.stringify(aws.calls(op)).includes(RELEASE_TABLE)));

test('Deploy: every bad parameter in one ConfigurationError, before the model is even read', async () => {
  setupShop(aws);
  const { report } = await aws.runJob(defineStep(deploy, aws.deps()), { params: { model: '', services: 'frontend', revision: 'latest', cutover: true } });
  expect(report.body.failureDetails).toEqual({
    type: 'ConfigurationError',
    message: `deploy: invalid UserParameters: model: expected a non-empty string; services: expected one of "application", "scheduler", "all"; revision: expected one of "release", "current"; cutover: unknown field ${FIX}`,
  });
  expect(sideRequests()).toEqual([]);
});

test('Deploy: a model in SSM that the handler cannot read names each broken field; no service is touched', async () => {
  const model = setupShop(aws);
  aws.ssm.set(MODEL, JSON.stringify({ ...model, services: [model.services[0], { ...model.services[1], containers: ['yves'] }, { service: 'production-glue' }] }));
  const { report } = await aws.runJob(defineStep(deploy, aws.deps()), { params: { model: MODEL, services: 'application', revision: 'current' } });
  expect(report.body.failureDetails).toEqual({
    type: 'ConfigurationError',
    message: `deployment model ${MODEL} is invalid: services[1].containers: expected object, got array; services[2].app: required; services[2].containers: required (redeploy the pipeline stack)`,
  });
  expect(sideRequests()).toEqual(['SSM.GetParameter']);
});

test('Deploy: a model of another version is refused before its fields are looked at', async () => {
  const model = setupShop(aws);
  aws.ssm.set(MODEL, JSON.stringify({ ...model, v: 2, services: 'changed' }));
  const { report } = await aws.runJob(defineStep(deploy, aws.deps()), { params: { model: MODEL, services: 'application', revision: 'current' } });
  expect(report.body.failureDetails).toEqual({ type: 'ConfigurationError', message: `deployment model ${MODEL} has version 2, this handler reads version 1: redeploy the pipeline stack` });
  expect(aws.calls('ECS.UpdateService')).toEqual([]);
});

test('Run_install: a missing hook and a wrong time limit, no task started and nothing read', async () => {
  setupShop(aws);
  const { report } = await aws.runJob(defineStep(runHook, aws.deps()), { params: { model: MODEL, taskDefinition: 'next', timeoutMinutes: '60', maintenance: '' } });
  expect(report.body.failureDetails).toEqual({
    type: 'ConfigurationError',
    message: `run-hook: invalid UserParameters: hook: required; taskDefinition: expected one of "live", "release"; timeoutMinutes: expected number, got string; maintenance: expected a non-empty string ${FIX}`,
  });
  expect(sideRequests()).toEqual([]);
});

test('UpdateDeployedVersion: keepReleases below 2 writes no tag, no record and no version', async () => {
  setupShop(aws);
  const { report } = await aws.runJob(defineStep(updateDeployedVersion, aws.deps()), { params: { ...updateParams(1), releaseTable: undefined }, inputs: [RELEASE_OUTPUT, IMAGES_INPUT] });
  expect(report.body.failureDetails).toEqual({
    type: 'ConfigurationError',
    message: `update-deployed-version: invalid UserParameters: releaseTable: required; keepReleases: expected at least 2 ${FIX}`,
  });
  expect(sideRequests()).toEqual([]);
});

test('Pre_Deployment_Configuration: images.json of a newer build format is refused before any registration', async () => {
  setupShop(aws);
  putArtifact(aws, IMAGES_INPUT, { 'images.json': JSON.stringify({ v: 2, version: V2, images: {} }) });
  const { report } = await aws.runJob(defineStep(prepare, aws.deps()), { params: { model: MODEL }, inputs: [IMAGES_INPUT], outputs: [RELEASE_OUTPUT] });
  expect(report.body.failureDetails).toEqual({
    type: 'JobFailed',
    message: "images.json has version 2, this handler reads version 1: check Build_and_Prepare's output, or rerun the pipeline from Build_and_Prepare",
  });
  expect(aws.calls('ECS.RegisterTaskDefinition')).toEqual([]);
  expect(aws.calls('S3.PUT')).toEqual([]);
});
