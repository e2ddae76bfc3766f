/**
 * The embedded demo config: a Spryker shop read from its deploy file, deploy.demo-production.yml
 * (zed, yves, glue, backoffice, a scheduler, two store vhosts, the broker user), on an existing
 * ECS cluster; the props add what AWS needs. `npx cdk synth` needs no AWS account.
 * Tests and the benchmark build the same app, optionally scaled to N application services.
 */
import * as path from 'path';
import { App, ArnFormat, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import {
  SprykerDestructivePipeline,
  SprykerMaintenancePipelines,
  SprykerPipeline,
  SprykerRolloutSchedulerPipeline,
  sprykerPipelinePropsFromDeployFile,
  type SprykerServiceProps,
} from '../lib';

export const DEMO_DEPLOY_FILE = path.join(__dirname, 'deploy.demo-production.yml');

export interface DemoOptions {
  /** Number of application services: the deploy file's four, or that many (for scale tests). @default 4 */
  readonly services?: number;
  /** Names of the application services beyond the deploy file's four (size tests). @default `app${index}` */
  readonly applicationName?: (index: number) => string;
  /** Run cdk-nag's AwsSolutions checks. @default true */
  readonly nag?: boolean;
}

const SHOP = ['zed', 'yves', 'glue', 'backoffice'];

export function demoServices(count = SHOP.length, name = (i: number) => `app${i}`): SprykerServiceProps[] {
  return Array.from({ length: count }, (_, i) => ({ application: SHOP[i] ?? name(i) }));
}

export class SprykerDemoStack extends Stack {
  public readonly sprykerPipeline: SprykerPipeline;
  public readonly destructivePipeline: SprykerDestructivePipeline;
  public readonly rolloutSchedulerPipeline: SprykerRolloutSchedulerPipeline;
  public readonly maintenancePipelines: SprykerMaintenancePipelines;

  constructor(scope: Construct, id: string, options: DemoOptions & StackProps = {}) {
    super(scope, id, options);
    const adminSecret = secretsmanager.Secret.fromSecretNameV2(this, 'BrokerAdmin', 'demo/broker/admin');
    // The shop's HTTPS listener (host routing to yves, glue, backoffice), created by the infrastructure stack.
    const listener = elbv2.ApplicationListener.fromApplicationListenerAttributes(this, 'ShopListener', {
      listenerArn: this.formatArn({
        service: 'elasticloadbalancing',
        resource: 'listener',
        resourceName: 'app/production-shop/50dc6c495c0c9188/f2f7dc8efc522ab2',
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, 'ShopAlbSecurityGroup', 'sg-0123456789abcdef0'),
    });
    // Environment, hooks, vhosts, applications and scheduler come from the file; props win over it.
    const props = sprykerPipelinePropsFromDeployFile(DEMO_DEPLOY_FILE, {
      cluster: 'production-spryker',
      ...(options.services !== undefined && { services: demoServices(options.services, options.applicationName) }),
      broker: {
        endpoint: 'https://b-demo.mq.eu-central-1.amazonaws.com',
        adminSecret,
        // The file's API user, the user the shop connects as: its password lives in Secrets Manager.
        userSecrets: { spryker: secretsmanager.Secret.fromSecretNameV2(this, 'BrokerUser', 'demo/broker/spryker') },
      },
      approval: { emails: ['release-managers@example.com'] },
      // docker-sdk boots the images from the same deploy file (at the root of the shop's repository).
      build: { deployFile: path.basename(DEMO_DEPLOY_FILE) },
      // The safety net: a 503 page with the office still let in, also around Run_install of a breaking release ('auto', decided by Release_diff); warm-up; notifications.
      maintenance: { listener, allowedIps: ['203.0.113.0/24'], priority: 1, duringInstall: 'auto' },
      warmUp: { urls: ['https://www.demo-shop.de/', 'https://www.demo-shop.de/en/computer', 'https://glue.demo-shop.de/catalog-search?q=camera'] },
      // Every application service switches to V2 at once (ECS blue/green, held by the pipeline's hook: docs/cutover.md);
      // the shop's infrastructure stack names `pipeline.cutoverHook` in each service. Its pages are checked through the test listener (:8443).
      cutover: 'together',
      cutoverChecks: { yves: ['https://www.demo-shop.de:8443/', 'https://www.demo-shop.de:8443/en/computer'], glue: ['https://glue.demo-shop.de:8443/catalog-search?q=camera'] },
      notifications: {},
      // Each run's report (states timeline, windows) in S3 with a link in the summary and notification, metrics and a dashboard; on by default.
      report: { retention: Duration.days(365) },
      // The safety windows: wait for Redis and search to catch up before the rollout, bake 10 minutes
      // watching the shop's alarms (a firing one rolls the services back), and deploy Monday to Thursday 7:00-17:59 Berlin time only.
      syncCatchUp: { await: true },
      bake: { alarms: ['production-shop-5xx', 'production-shop-latency'], bakeTime: Duration.minutes(10) },
      deploymentWindow: { cron: '* * 7-17 ? * MON-THU *', timeZone: 'Europe/Berlin' },
    });
    this.sprykerPipeline = new SprykerPipeline(this, 'Pipeline', props);

    // SCCOS's companion pipelines of the environment; they start only by hand.
    this.destructivePipeline = new SprykerDestructivePipeline(this, 'Destructive', { pipeline: this.sprykerPipeline, allowDestructiveOnProduction: true });
    this.rolloutSchedulerPipeline = new SprykerRolloutSchedulerPipeline(this, 'RolloutScheduler', { pipeline: this.sprykerPipeline });
    this.maintenancePipelines = new SprykerMaintenancePipelines(this, 'Maintenance', { pipeline: this.sprykerPipeline });

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
  const app = new App();
  const stack = new SprykerDemoStack(app, 'SprykerDemoPipeline', {
    ...options,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
