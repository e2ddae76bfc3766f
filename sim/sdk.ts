/**
 * The AWS SDK v3 modules the handler bundles require. The bundles leave `@aws-sdk/*` out, because
 * Lambda's Node.js runtime provides it; in a rehearsal the simulator provides it, from its own
 * bundle, so `npx cdk-spryker-pipeline rehearse` needs no SDK installed beside the package.
 * test/sim/bundles.test.ts checks that every module a handler bundle requires is here.
 */
import * as cloudwatchLogs from '@aws-sdk/client-cloudwatch-logs';
import * as codepipeline from '@aws-sdk/client-codepipeline';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as ecr from '@aws-sdk/client-ecr';
import * as ecs from '@aws-sdk/client-ecs';
import * as elbv2 from '@aws-sdk/client-elastic-load-balancing-v2';
import * as s3 from '@aws-sdk/client-s3';
import * as secretsManager from '@aws-sdk/client-secrets-manager';
import * as ssm from '@aws-sdk/client-ssm';
import * as utilDynamodb from '@aws-sdk/util-dynamodb';

export const SDK_MODULES: Readonly<Record<string, unknown>> = {
  '@aws-sdk/client-cloudwatch-logs': cloudwatchLogs,
  '@aws-sdk/client-codepipeline': codepipeline,
  '@aws-sdk/client-dynamodb': dynamodb,
  '@aws-sdk/client-ecr': ecr,
  '@aws-sdk/client-ecs': ecs,
  '@aws-sdk/client-elastic-load-balancing-v2': elbv2,
  '@aws-sdk/client-s3': s3,
  '@aws-sdk/client-secrets-manager': secretsManager,
  '@aws-sdk/client-ssm': ssm,
  '@aws-sdk/util-dynamodb': utilDynamodb,
};
