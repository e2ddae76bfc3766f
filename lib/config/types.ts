import type { Duration } from 'aws-cdk-lib';
import type * as codebuild from 'aws-cdk-lib/aws-codebuild';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as codecommit from 'aws-cdk-lib/aws-codecommit';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { PreflightFinding } from './preflight/finding-types';
import type * as sns from 'aws-cdk-lib/aws-sns';

/**
 * A factory per SCCOS stage to replace (`stageOverrides`). Its members are declared where the
 * stages are known (lib/spryker-pipeline.ts augments this interface): the config types do not
 * import the stages, whose props import the config types.
 */
export interface SccosStageOverrides {}

/** Application types of a Spryker shop that run as a service, as docker-sdk has templates for them (`static` has none: the frontend serves it). */
export const SPRYKER_APPLICATIONS = [
  'zed',
  'yves',
  'glue',
  'glue-storefront',
  'glue-backend',
  'backoffice',
  'backend-gateway',
  'merchant-portal',
] as const;

/** SCCOS's default hook commands. */
export const DEFAULT_HOOKS = {
  beforeDeploy: 'vendor/bin/install -r pre-deploy -vvv',
  install: 'vendor/bin/install -r EU/production --no-ansi -vvv',
  destructiveInstall: 'vendor/bin/install -r EU/destructive --no-ansi -vvv',
} as const;

/** docker-sdk's hook variables in a deploy file's `image.environment`, by SprykerHooks key. */
export const HOOK_VARIABLES = {
  beforeDeploy: 'SPRYKER_HOOK_BEFORE_DEPLOY',
  install: 'SPRYKER_HOOK_INSTALL',
  destructiveInstall: 'SPRYKER_HOOK_DESTRUCTIVE_INSTALL',
  afterDeploy: 'SPRYKER_HOOK_AFTER_DEPLOY',
} as const;

export type HookKey = keyof typeof HOOK_VARIABLES;

/** SCCOS-like time limits of the hook stages, in minutes (see SprykerHookTimeouts). */
export const DEFAULT_HOOK_TIMEOUT_MINUTES: Record<HookKey, number> = { beforeDeploy: 30, install: 60, destructiveInstall: 60, afterDeploy: 30 };
/** The longest hook time limit: CodePipeline gives a Lambda invoke action 24 hours in all; leave room for the rest of the stage. */
export const MAX_HOOK_TIMEOUT_MINUTES = 23 * 60;

/**
 * Time limit of each hook stage. A hook task still running at its limit is stopped (ECS
 * StopTask), maintenance mode (if the stage turned it on) is lifted, and the stage fails naming
 * the hook, the task, the limit and the last log lines. Whole minutes, 1 minute to 23 hours.
 */
export interface SprykerHookTimeouts {
  /** Run_pre-deploy_hook. @default Duration.minutes(30) */
  readonly beforeDeploy?: Duration;
  /** Run_install. @default Duration.minutes(60) */
  readonly install?: Duration;
  /** Run_install of the destructive pipeline. @default Duration.minutes(60) */
  readonly destructiveInstall?: Duration;
  /** Run_post-deploy_hook. @default Duration.minutes(30) */
  readonly afterDeploy?: Duration;
}

/** Application types whose task definition runs Zed's console, in the order a deploy file's hook service is picked. */
export const ZED_APPLICATIONS = ['zed', 'backoffice', 'backend-gateway'] as const;

export type PipelineType = 'normal' | 'destructive';

/** One application service of the shop. */
export interface SprykerServiceProps {
  /**
   * Application name, as in the deploy file and in images.json: `zed`, `yves`, `glue`,
   * `backoffice`, `backend-gateway`, `backapi`, `merchant-portal`, or a project's own.
   */
  readonly application: string;
  /**
   * The ECS service: its name in the cluster (to import existing infrastructure), or the service.
   * @default `${environment}-${application}`
   */
  readonly service?: string | ecs.IBaseService;
  /**
   * Task-definition family of the service; scopes the RunTask permission of the hooks.
   * @default the family of `service` when it is an `ecs.BaseService`, else the service name
   */
  readonly taskDefinitionFamily?: string;
  /**
   * Containers whose image a release replaces: container name → application image key in
   * images.json. Other containers (sidecars, log routers) keep their image.
   * @default { [application]: application }
   */
  readonly containerImages?: Record<string, string>;
  /**
   * ARN of the task role of the service's task definitions: the only task role the pipeline may
   * pass to ECS (iam:PassRole) when it registers their revisions and runs hooks.
   * @default the task role of `service` when it is an `ecs.BaseService`, else a role named `${environment}-*`
   */
  readonly taskRoleArn?: string;
  /**
   * ARN of the execution role of the service's task definitions (image pulls, secrets, logs).
   * @default the execution role of `service` when it is an `ecs.BaseService`, else a role named `${environment}-*`
   */
  readonly executionRoleArn?: string;
}

/** The hook commands, as docker-sdk's SPRYKER_HOOK_* variables. */
export interface SprykerHooks {
  /**
   * SPRYKER_HOOK_BEFORE_DEPLOY, run in Run_pre-deploy_hook on the image live now.
   * @default 'vendor/bin/install -r pre-deploy -vvv'
   */
  readonly beforeDeploy?: string;
  /**
   * SPRYKER_HOOK_INSTALL, run in Run_install of a normal pipeline on the new image.
   * @default 'vendor/bin/install -r EU/production --no-ansi -vvv'
   */
  readonly install?: string;
  /**
   * SPRYKER_HOOK_DESTRUCTIVE_INSTALL, run in Run_install of a destructive pipeline.
   * @default 'vendor/bin/install -r EU/destructive --no-ansi -vvv'
   */
  readonly destructiveInstall?: string;
  /**
   * SPRYKER_HOOK_AFTER_DEPLOY, run in Run_post-deploy_hook. `true` or absent runs nothing.
   * @default - none: the stage succeeds at once
   */
  readonly afterDeploy?: string;
}

/** Permissions of one broker user on one vhost (regular expressions, as RabbitMQ takes them). */
export interface BrokerPermission {
  readonly vhost: string;
  /** @default '.*' */
  readonly configure?: string;
  /** @default '.*' */
  readonly write?: string;
  /** @default '.*' */
  readonly read?: string;
}

/** A user the shop's applications connect as (not the admin: that one is managed through adminSecret). */
export interface BrokerUser {
  readonly name: string;
  /**
   * Secret holding the password: a plain string, or JSON with a `password` key. A rotated
   * password is applied by the next deployment; an unchanged one leaves the user untouched.
   */
  readonly passwordSecret: secretsmanager.ISecret;
  /** RabbitMQ user tags such as `management`. @default [] */
  readonly tags?: string[];
  /** @default - full permissions ('.*') on every declared vhost */
  readonly permissions?: BrokerPermission[];
}

/** The RabbitMQ broker and its desired vhosts, users and permissions. */
export interface SprykerBrokerProps {
  /**
   * Management API base URL, e.g. `https://b-1234.mq.eu-central-1.amazonaws.com` (Amazon MQ). The
   * stack pins it in the handler's configuration: the handler refuses a desired state in SSM that
   * names another endpoint, so only a stack deployment can send the credentials elsewhere.
   */
  readonly endpoint: string;
  /**
   * Allow an `http://` endpoint: the admin's and every user's password then cross the network in
   * the clear. Only for a broker on a private network (e.g. `http://rabbitmq:15672` in a VPC).
   * @default false
   */
  readonly allowInsecureBrokerEndpoint?: boolean;
  /** Secret with the credentials of an administrator-tagged user as JSON `{"username": "...", "password": "..."}`. */
  readonly adminSecret: secretsmanager.ISecret;
  /** Vhosts, one per store (`broker.namespace`, e.g. `de_queue`), or one per region in Dynamic Multistore mode. */
  readonly vhosts: string[];
  /** @default [] */
  readonly users?: BrokerUser[];
  /**
   * Delete vhosts and users that are not declared, and declared users' permissions on vhosts not
   * declared for them. Never the admin user, the default vhost `/`, or Amazon MQ's own
   * `*AWS-OWNED*` users.
   * @default false
   */
  readonly removeUndeclared?: boolean;
  /**
   * With removeUndeclared: delete an undeclared vhost even when its queues hold messages (they
   * are lost with it). Otherwise the step refuses, naming the vhost and its queues with their
   * message counts, before it writes anything.
   * @default false
   */
  readonly forceRemoveVhostsWithMessages?: boolean;
  /**
   * PEM certificate(s) of the private CA that signed an https broker's certificate, e.g.
   * `fs.readFileSync('broker-ca.pem', 'utf8')` or `ssm.StringParameter.valueForStringParameter(this, '/shop/broker-ca')`.
   * A CA certificate is public: it goes into the desired state in SSM, and the handler's https
   * agent trusts exactly these (instead of Node's public roots). Never a private key.
   * @default - Node's public roots (Amazon MQ's certificates chain to them)
   */
  readonly caCertificate?: string;
  /** VPC to run the handler in, when the endpoint is private. @default - not in a VPC */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a new security group */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/** Where the pipeline gets the code. Exactly one of the kinds. */
export interface SprykerSourceProps {
  /** CodeStar connection (GitHub, Bitbucket, GitLab). @default - none */
  readonly connection?: {
    readonly connectionArn: string;
    /** `owner/repo` */
    readonly repository: string;
    /** The branch the source action checks out. @default 'main' */
    readonly branch?: string;
    /**
     * Branch patterns (glob) whose pushes start the pipeline (a V2 push trigger).
     * @default - pushes to `branch`
     */
    readonly branchPatterns?: string[];
    /** Tag patterns (glob) whose pushes start the pipeline too. @default - no tag trigger */
    readonly tagPatterns?: string[];
    /**
     * Hand Build_and_Prepare a full git clone instead of a zip: needed to build a pinned
     * desired_version whose images are not in ECR. Only CodeBuild can read such an artifact.
     * @default true
     */
    readonly fullClone?: boolean;
  };
  /** CodeCommit; pushes to `branch` start the pipeline (EventBridge). @default - none */
  readonly codeCommit?: {
    readonly repository: codecommit.IRepository;
    /** @default 'main' */
    readonly branch?: string;
    /** As `connection.fullClone`. @default true */
    readonly fullClone?: boolean;
  };
  /**
   * S3: a zip of the repository; each new object version starts the pipeline (EventBridge). The
   * object carries its commit hash in the metadata `commit`
   * (`aws s3 cp source.zip s3://bucket/key --metadata commit=$(git rev-parse HEAD)`).
   * @default - a new versioned bucket with key `source.zip`
   */
  readonly s3?: { readonly bucket: s3.IBucket; readonly key: string };
}

export interface SprykerApprovalProps {
  /**
   * Whether Please_approve waits for a person. The version action stays either way.
   * @default - true for production environments, false otherwise (SCCOS)
   */
  readonly enabled?: boolean;
  /** E-mail addresses notified when approval is needed. @default [] */
  readonly emails?: string[];
  /** How long an approval may wait: whole minutes, 5 minutes to 60 days. @default Duration.days(7) (CodePipeline's account default) */
  readonly timeout?: Duration;
  /**
   * Release_diff before the approval: commits, changed files by meaning, Propel schema risk, and
   * the rollback guard (docs/release-diff.md). A git source needs its full clone: with
   * `fullClone: false` there is no release diff.
   * @default true
   */
  readonly releaseDiff?: boolean;
}

export interface SprykerBuildProps {
  /** Application images that the build produces, by image key. @default - every `containerImages` value of the services and the scheduler */
  readonly images?: string[];
  /**
   * Bash commands that build the images at `$VERSION` in the source checkout, replacing
   * docker-sdk's. They print one line `<image key> <local image>` per image on stdout (the format
   * of `docker/sdk export images`); build output goes to stderr. They run only when an image is
   * missing in ECR.
   * @default - docker-sdk: `docker/sdk boot $SPRYKER_DEPLOY_FILE` and `docker/sdk export images -t $VERSION`
   */
  readonly buildCommands?: string[];
  /**
   * The docker-sdk commit (40 hex digits) the default build clones when the repository carries no
   * `./docker`; the build checks that HEAD is this commit before running it.
   * @default DEFAULT_DOCKER_SDK_COMMIT
   */
  readonly dockerSdkCommit?: string;
  /** Deploy file for docker-sdk's boot (`SPRYKER_DEPLOY_FILE`). @default 'deploy.yml' */
  readonly deployFile?: string;
  /** @default codebuild.LinuxBuildImage.STANDARD_7_0 */
  readonly buildImage?: codebuild.IBuildImage;
  /** @default codebuild.ComputeType.LARGE (a Spryker image build needs memory) */
  readonly computeType?: codebuild.ComputeType;
  /** @default Duration.hours(1) */
  readonly timeout?: Duration;
  /** Use existing ECR repositories `{env}-{image key}` instead of creating them. @default false */
  readonly importRepositories?: boolean;
  /** Images each created repository keeps (newest first), for rollback. @default 30 */
  readonly keepImages?: number;
}

/** Maintenance mode on the shop's Application Load Balancer (see docs/safety-net.md). */
export interface SprykerMaintenanceProps {
  /** The listener that serves the shop (HTTPS, or HTTP when TLS ends elsewhere). */
  readonly listener: elbv2.IApplicationListener;
  /**
   * First listener-rule priority of the maintenance rules. With an allow-list, the rules after it
   * are taken too (one or more per rule of the listener): keep the shop's own rules above them (e.g. from 100).
   * @default 1
   */
  readonly priority?: number;
  /** CIDRs (`203.0.113.0/24`, `2001:db8::/32`) that still reach the shop during maintenance. @default [] */
  readonly allowedIps?: string[];
  /** Body of the 503 answer: at most 1024 characters (ALB fixed responses). @default - a short HTML page */
  readonly page?: string;
  /** @default 'text/html' */
  readonly contentType?: 'text/html' | 'text/plain' | 'application/json';
  /**
   * Wrap Run_install in maintenance mode (Magento's behaviour: no request meets a half-migrated
   * database). It is lifted again when the install ends, also when it fails. `'auto'`: only when
   * Release_diff classes the release's schema change as breaking (or could not class it).
   * @default false (SCCOS: the shop keeps serving while the install runs)
   */
  readonly duringInstall?: boolean | 'auto';
}

/** Post-deploy warm-up and smoke check: a stage after Run_post-deploy_hook. */
export interface SprykerWarmUpProps {
  /** Pages to request, e.g. the home page, a category, a product, the Glue API. */
  readonly urls: string[];
  /** Requests in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Limit for one request (headers and body). @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** Time to first byte above which a page is a problem. @default Duration.seconds(3) */
  readonly ttfbThreshold?: Duration;
  /** `fail` fails the stage when a page is a problem; `warn` names it and succeeds. @default 'fail' */
  readonly onProblem?: 'fail' | 'warn';
  /** VPC to request from, for internal URLs. @default - not in a VPC */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a new security group */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * The sync catch-up after Run_install (docs/safety-windows.md): `scheduler:setup` starts the
 * queue workers, and Spryker's publish and sync queues fill and drain while Redis and search catch
 * up with the database. Measured on every run from the RabbitMQ management API (queue depths in
 * the store vhosts, `broker.vhosts`); with `await` the pipeline waits for it before
 * Deploy_Spryker_services, so V2 code never serves from Redis and search data still on V1.
 */
export interface SprykerSyncCatchUpProps {
  /**
   * Wait for the queues to drain in a Sync_catch_up stage before Deploy_Spryker_services. Without
   * it the drain is only measured, by an action beside the rollout in Deploy_Spryker_services that
   * never fails (nor rolls back) the stage.
   * @default false
   */
  readonly await?: boolean;
  /**
   * Queue-name patterns (`*`: any characters) whose messages must drain, in every store vhost.
   * @default DEFAULT_SYNC_QUEUES: 'publish', 'publish.*', 'sync.storage.*', 'sync.search.*' (spryker-core's queue names)
   */
  readonly queues?: string[];
  /** Queue-name patterns never waited for. @default ['*.error'] (Spryker's error queues keep failed messages until someone looks) */
  readonly ignoreQueues?: string[];
  /** How long the queues must stay empty (the management API refreshes its counts every few seconds). Whole seconds, 0 to 10 minutes. @default Duration.seconds(30) */
  readonly settle?: Duration;
  /** The bound of the wait (measured or awaited). Whole minutes, 1 minute to 23 hours. @default Duration.minutes(30) */
  readonly timeout?: Duration;
  /** With `await`: at the bound, `fail` fails Sync_catch_up naming the queues still holding messages; `warn` names them and goes on. @default 'fail' */
  readonly onTimeout?: 'fail' | 'warn';
}

/**
 * Bake after Deploy_Spryker_services (docs/safety-windows.md): CodePipeline watches the alarms for
 * the bake time once the rollout succeeded (a V2 stage onSuccess condition with CloudWatchAlarm
 * rules), and an alarm in ALARM rolls the stage back: the previous execution's release.json
 * redeploys the previous release, without a rebuild.
 */
export interface SprykerBakeProps {
  /** The alarms to watch (the alarms, or their names): 1 to 5, CodePipeline's rules per condition. */
  readonly alarms: (cloudwatch.IAlarm | string)[];
  /** How long they are watched after the rollout. Whole minutes, 1 minute to 3 hours. @default Duration.minutes(10) */
  readonly bakeTime?: Duration;
}

/**
 * When the environment may deploy (docs/safety-windows.md): CodePipeline V2's DeploymentWindow rule
 * as an entry condition of Configure_RabbitMQ_Vhosts_and_Permissions, the first stage that changes
 * the shop. An execution that reaches it outside the window waits there until the window opens
 * (the build and the approval before it have run).
 */
export interface SprykerDeploymentWindowProps {
  /**
   * When deployments are allowed: CodePipeline's cron, 6 fields and an optional year
   * (`seconds minutes hours day-of-month month day-of-week [year]`), e.g. Monday to Thursday 8:00-16:59
   * and Friday mornings: `0 * 8-16 ? * MON-THU *` (one window per cron: use the narrower one).
   */
  readonly cron: string;
  /** `Region/City` (e.g. `Europe/Berlin`), `UTC` or `UTC+HH:MM`, or an abbreviation such as `CET`. @default 'UTC' */
  readonly timeZone?: string;
}

/** Pipeline events that notify. */
export type SprykerNotificationEvent = 'approval-needed' | 'failed' | 'succeeded';

/** Pipeline notifications through CodeStar Notifications to an SNS topic (AWS Chatbot can forward it to Slack). */
export interface SprykerNotificationProps {
  /** @default - a new topic, encrypted with a new KMS key */
  readonly topic?: sns.ITopic;
  /** @default ['approval-needed', 'failed', 'succeeded'] */
  readonly events?: SprykerNotificationEvent[];
}

/**
 * The deployment report of every run (issue 16, docs/states.md): report.json and report.html per
 * execution in the environment's reports bucket, the run's CloudWatch metrics and the dashboard.
 */
export interface SprykerReportProps {
  /** `false`: no Report stage, no reports bucket, no metrics, no dashboard. @default true */
  readonly enabled?: boolean;
  /** How long the reports are kept (the bucket's lifecycle expiry), whole days from 1 to 3650. @default Duration.days(365) */
  readonly retention?: Duration;
}

export interface SprykerPipelineProps {
  /** Environment name: used in resource names and SSM paths `/{env}/...` (e.g. `production`, `staging`). */
  readonly environment: string;
  /**
   * Whether this is a production environment: approval is on by default, and a destructive
   * pipeline needs `allowDestructiveOnProduction`.
   * @default - true when `environment` contains `prod`
   */
  readonly production?: boolean;
  /** @default 'normal' */
  readonly pipelineType?: PipelineType;
  /** Explicit opt-in for a destructive pipeline on a production environment. @default false */
  readonly allowDestructiveOnProduction?: boolean;
  /** The ECS cluster of the environment: the cluster, or its name. */
  readonly cluster: ecs.ICluster | string;
  /** The application services (zed, yves, glue, backoffice, ...: any subset). */
  readonly services: SprykerServiceProps[];
  /** The scheduler (Jenkins) service. */
  readonly scheduler: SprykerServiceProps;
  /**
   * The frontend service (SCCOS's `{env}-frontend`: nginx with the release's assets in front of the
   * applications), rolled out in Deploy_Spryker_services with the applications, image key `frontend`;
   * `false` for none. Without it a release serves the previous release's assets with the new code.
   * @default - none; sprykerPipelinePropsFromDeployFile sets `{ application: 'frontend' }` for a shop with applications
   */
  readonly frontend?: SprykerServiceProps | false;
  /** Application name of the service whose task definition runs the hooks and install. @default 'zed' */
  readonly hookService?: string;
  /**
   * CloudWatch log groups (names; a trailing `*` allowed) that the hook service's containers write
   * to through the awslogs driver: a failed hook's message quotes its last lines, and the hook
   * handler may read these groups only.
   * @default - the awslogs groups of the hook service's containers when it is an `ecs.BaseService`,
   *   else groups named `/ecs/${environment}-*` and `/${environment}/*`
   */
  readonly hookLogGroups?: string[];
  /** @default - SCCOS's defaults, see SprykerHooks */
  readonly hooks?: SprykerHooks;
  /** @default - 30 minutes for the pre- and post-deploy hooks, 60 for the install (see SprykerHookTimeouts) */
  readonly hookTimeouts?: SprykerHookTimeouts;
  /** @default - no broker: Configure_RabbitMQ_Vhosts_and_Permissions succeeds at once */
  readonly broker?: SprykerBrokerProps;
  /** @default - S3 source in a new bucket */
  readonly source?: SprykerSourceProps;
  /** @default - see SprykerApprovalProps */
  readonly approval?: SprykerApprovalProps;
  /** @default - see SprykerBuildProps */
  readonly build?: SprykerBuildProps;
  /** Retention of every step handler's logs. @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Releases kept for rollback (2 to 10000): UpdateDeployedVersion records each deployed release
   * in the environment's release history and tags its images so that ECR never expires them;
   * the oldest beyond this many are pruned. Each kept release is a `desired_version` rollback
   * target that builds nothing (docs/limits.md).
   * @default 100
   */
  readonly releaseHistory?: number;
  /** @default `${environment}-deploy` (SCCOS: `{env}_Normal_Deploy` style names) */
  readonly pipelineName?: string;
  /**
   * Preflight findings of the deploy file the props came from (sprykerPipelinePropsFromDeployFile):
   * SprykerPipeline reports each warning as a CDK annotation with its code.
   * @default []
   */
  readonly preflightWarnings?: PreflightFinding[];
  /**
   * Deploy_Scheduler and Deploy_Spryker_services roll back automatically when they fail
   * (CodePipeline V2 stage rollback: the last successful execution's release.json, no rebuild).
   * @default true
   */
  readonly rollbackOnFailure?: boolean;
  /** @default - no maintenance mode */
  readonly maintenance?: SprykerMaintenanceProps;
  /** @default - no warm-up stage */
  readonly warmUp?: SprykerWarmUpProps;
  /**
   * How Deploy_Spryker_services moves the application services to the release (docs/cutover.md).
   * `rolling`: each service rolls out on its own schedule (SCCOS): for minutes V1 and V2 services
   * run side by side. `together`: every application service deploys with ECS's native blue/green
   * strategy and the pipeline's lifecycle hook (`SprykerPipeline.cutoverHook`) holds each one,
   * green tasks running and serving the test listener, until all have arrived and passed their
   * checks; then production traffic of all shifts within seconds, and a failure before or during
   * the bake time sends every service back to blue. The shop's infrastructure gives each service
   * its BLUE_GREEN deployment configuration and load-balancer advanced configuration; the step
   * refuses, before changing anything, a service that lacks them.
   * @default 'rolling'
   */
  readonly cutover?: 'rolling' | 'together';
  /**
   * `cutover: 'together'`: per application, the pages its hook requests through the test listener
   * (warm-up and smoke check, each must answer 2xx within warmUp's thresholds) before the barrier
   * releases it, and again right after the production shift. An application without pages is
   * held only until its green tasks run and receive test traffic.
   * @default - no pages
   */
  readonly cutoverChecks?: Record<string, string[]>;
  /** @default - no notifications */
  readonly notifications?: SprykerNotificationProps;
  /** The deployment report, metrics and dashboard of every run. @default - on, reports kept 365 days (see SprykerReportProps) */
  readonly report?: SprykerReportProps;
  /**
   * The sync catch-up after Run_install, measured (and, with `await`, waited for); `false`: not
   * measured. Needs `broker`.
   * @default - measured (not awaited) when `broker` is set
   */
  readonly syncCatchUp?: SprykerSyncCatchUpProps | false;
  /** @default - no bake: the pipeline goes on once the rollout completed */
  readonly bake?: SprykerBakeProps;
  /** @default - no deployment window: any time */
  readonly deploymentWindow?: SprykerDeploymentWindowProps;
  /**
   * A project's own class for SCCOS stages: per stage name, a factory that gets the props the
   * pipeline computed for that stage (hook, maintenance, artifacts, ...). Companion pipelines
   * built from these props (destructive) apply them too, with their own computed props.
   * @default - SprykerPipeline's stage classes
   */
  readonly stageOverrides?: SccosStageOverrides;
}
