/**
 * The embedded demo config: a Spryker shop (zed, yves, glue, backoffice, a scheduler, a broker
 * with two store vhosts) on an existing ECS cluster. `npx cdk synth` needs no AWS account.
 * Tests and the benchmark build the same app, optionally scaled to N application services.
 */
import { App, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { SprykerPipeline, type SprykerPipelineProps, type SprykerServiceProps } from '../lib';

export interface DemoOptions {
  /** Number of application services: the shop's four, or that many (for scale tests). @default 4 */
  readonly services?: number;
  /** Run cdk-nag's AwsSolutions checks. @default true */
  readonly nag?: boolean;
  /** Bundle the step handlers with esbuild (template-only tests skip it). @default true */
  readonly bundle?: boolean;
}

const SHOP = ['zed', 'yves', 'glue', 'backoffice'];

export function demoServices(count = SHOP.length): SprykerServiceProps[] {
  return Array.from({ length: count }, (_, i) => ({ application: SHOP[i] ?? `app${i}` }));
}

export class SprykerDemoStack extends Stack {
  public readonly sprykerPipeline: SprykerPipeline;

  constructor(scope: Construct, id: string, options: DemoOptions & StackProps = {}) {
    super(scope, id, options);
    const adminSecret = secretsmanager.Secret.fromSecretNameV2(this, 'BrokerAdmin', 'demo/broker/admin');
    const props: SprykerPipelineProps = {
      environment: 'production',
      cluster: 'production-spryker',
      services: demoServices(options.services),
      scheduler: { application: 'scheduler', containerImages: { jenkins: 'jenkins' } },
      broker: {
        endpoint: 'https://b-demo.mq.eu-central-1.amazonaws.com',
        adminSecret,
        vhosts: ['de_queue', 'at_queue'],
        // The user the shop connects as: full permissions on both store vhosts (docker-sdk's default).
        users: [{ name: 'spryker', passwordSecret: secretsmanager.Secret.fromSecretNameV2(this, 'BrokerUser', 'demo/broker/spryker') }],
      },
      approval: { emails: ['release-managers@example.com'] },
    };
    this.sprykerPipeline = new SprykerPipeline(this, 'Pipeline', props);

    // A project's own stage: a release manager confirms the storefront before the version is recorded.
    this.sprykerPipeline.addStageBefore('UpdateDeployedVersion', {
      stageName: 'Confirm_storefront',
      actions: [
        new actions.ManualApprovalAction({
          actionName: 'Confirm_storefront',
          additionalInformation: 'Check the storefront before the version is recorded as deployed',
        }),
      ],
    });
  }
}

export function buildDemoApp(options: DemoOptions = {}): { app: App; stack: SprykerDemoStack } {
  const app = new App({ context: options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {} });
  const stack = new SprykerDemoStack(app, 'SprykerDemoPipeline', {
    ...options,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
