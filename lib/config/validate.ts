import { type Duration, Token } from 'aws-cdk-lib';
import { MAX_WARM_UP, WARM_UP_DEFAULTS, warmUpWorstCase } from './limits';
import { validateConditions } from './conditions';
import { hookOverridesLength, MAX_OVERRIDES_LENGTH, SCHEDULER_AFTER } from './hook-commands';
import { MAX_HOOK_TIMEOUT_MINUTES, type SprykerPipelineProps, type SprykerServiceProps } from './types';

/** One problem with the props: the prop's path and what to do about it. */
export interface PropsProblem {
  readonly prop: string;
  readonly message: string;
}

/** Thrown by the constructor with every problem found, so a team fixes them in one pass. */
export class SprykerConfigError extends Error {
  constructor(
    readonly construct: string,
    readonly problems: PropsProblem[],
  ) {
    super(
      `${construct}: ${problems.length} problem(s) in props:\n` +
        problems.map((p) => `  - ${p.prop}: ${p.message}`).join('\n'),
    );
    this.name = 'SprykerConfigError';
  }
}

/** Environment names go into resource names and SSM paths. */
const ENV_NAME = /^[a-z][a-z0-9-]{0,30}$/;
/** ECS service names: letters, digits, hyphens, underscores, up to 255. */
const SERVICE_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const APP_NAME = /^[a-z][a-z0-9-]{0,39}$/;
/** An IAM role ARN without wildcards (paths allowed). */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
/** A CloudWatch Logs group name, or a prefix of one ending in `*`. */
const LOG_GROUP_PATTERN = /^[\w#./-]{1,512}\*?$/;
/** An absolute http(s) URL: a scheme and a host (not anchored at the end: its first character is enough). */
const HTTP_URL = /^https?:\/\/[^/\s]/;

/** Whether a props value is known at synth (tokens are validated by CloudFormation, not by us). */
export const isConcrete = (value: string | undefined): value is string => value !== undefined && !Token.isUnresolved(value);

export function isProduction(props: SprykerPipelineProps): boolean {
  return props.production ?? /prod/.test(props.environment);
}

/** The ECS service name of a service prop, when known at synth. */
export function serviceName(env: string, svc: SprykerServiceProps): string {
  if (svc.service === undefined) return `${env}-${svc.application}`;
  return typeof svc.service === 'string' ? svc.service : svc.service.serviceName;
}

/** Release_diff runs unless turned off, or when a git source hands over no history (fullClone: false). */
export function releaseDiffEnabled(props: SprykerPipelineProps): boolean {
  const git = props.source?.connection ?? props.source?.codeCommit;
  return (props.approval?.releaseDiff ?? true) && git?.fullClone !== false;
}

/** Every service the props deploy, with its prop: the applications, the frontend (when on), the scheduler. */
function propServices(props: SprykerPipelineProps): (readonly [string, SprykerServiceProps])[] {
  return [
    ...props.services.map((s, i) => [`services[${i}]`, s] as const),
    ...(props.frontend ? [['frontend', props.frontend] as const] : []),
    ['scheduler', props.scheduler] as const,
  ];
}

export function validatePipelineProps(props: SprykerPipelineProps): PropsProblem[] {
  const problems: PropsProblem[] = [];
  const add = (prop: string, message: string) => problems.push({ prop, message });

  if (isConcrete(props.environment) && !ENV_NAME.test(props.environment)) {
    add('environment', `'${props.environment}' is not allowed: use 1-31 lowercase letters, digits and hyphens, starting with a letter (it becomes SSM paths /{env}/... and resource names)`);
  }

  if (props.services.length === 0) {
    add('services', 'is empty: list at least one application service (zed, yves, glue, backoffice, ...)');
  }
  const apps = new Map<string, string>();
  const names = new Map<string, string>();
  const all = propServices(props);
  for (const [path, svc] of all) {
    if (isConcrete(svc.application) && !APP_NAME.test(svc.application)) {
      add(`${path}.application`, `'${svc.application}' is not allowed: use lowercase letters, digits and hyphens (e.g. 'zed', 'backend-gateway')`);
    }
    const seenApp = apps.get(svc.application);
    if (seenApp) add(`${path}.application`, `'${svc.application}' is listed twice (also ${seenApp}): list each application once`);
    apps.set(svc.application, path);

    const name = serviceName(props.environment, svc);
    if (isConcrete(name)) {
      if (!SERVICE_NAME.test(name)) {
        add(`${path}.service`, `'${name}' is not an ECS service name: use letters, digits, hyphens and underscores`);
      }
      const seenName = names.get(name);
      if (seenName) add(`${path}.service`, `ECS service '${name}' is listed twice (also ${seenName}): each service may be deployed once`);
      names.set(name, path);
    }
    for (const key of ['taskRoleArn', 'executionRoleArn'] as const) {
      const arn = svc[key];
      if (isConcrete(arn) && !ROLE_ARN.test(arn)) {
        add(`${path}.${key}`, `'${arn}' is not an IAM role ARN without wildcards (arn:aws:iam::123456789012:role/name): the pipeline may pass exactly this role to ECS`);
      }
    }
    if (svc.containerImages !== undefined && Object.keys(svc.containerImages).length === 0) {
      add(`${path}.containerImages`, 'is empty: name at least one container whose image the release replaces, or leave it out');
    }
  }

  const hookService = props.hookService ?? 'zed';
  if (!props.services.some((s) => s.application === hookService)) {
    add('hookService', `'${hookService}' is not one of the services (${props.services.map((s) => s.application).join(', ') || 'none'}): hooks run in a service's task definition; add it to services or set hookService`);
  }

  const sdk = props.build?.dockerSdkCommit;
  if (isConcrete(sdk) && !/^[0-9a-f]{40}$/.test(sdk)) {
    add('build.dockerSdkCommit', `'${sdk}' is not a full commit hash: pin docker-sdk by the 40-hex commit of the release you use (git ls-remote https://github.com/spryker/docker-sdk.git refs/tags/<release>)`);
  }
  if (props.hookLogGroups?.length === 0) add('hookLogGroups', "is empty: name the hook service's awslogs log groups, or leave it out for the default");
  (props.hookLogGroups ?? []).forEach((group, i) => {
    if (isConcrete(group) && !LOG_GROUP_PATTERN.test(group)) {
      add(`hookLogGroups[${i}]`, `'${group}' is not a log group name: use letters, digits and _-./# (a trailing * for a prefix), e.g. /ecs/production-zed`);
    }
  });

  const hookSvc = props.services.find((s) => s.application === hookService);
  // The container the hook runs in: the longest candidate name bounds the override's size.
  const containers = hookSvc?.containerImages ? Object.keys(hookSvc.containerImages) : [hookService];
  // Stryker disable next-line EqualityOperator: of two names of one length, either bounds the size
  const hookContainer = containers.reduce((a, b) => (b.length > a.length ? b : a), '');
  for (const [key, command] of Object.entries(props.hooks ?? {})) {
    if (!isConcrete(command)) continue;
    if (command.trim() === '') {
      add(`hooks.${key}`, "is an empty string: leave it out for SCCOS's default, or use 'true' to run nothing");
    }
    const length = hookOverridesLength(hookContainer, command, SCHEDULER_AFTER[key as keyof typeof SCHEDULER_AFTER]);
    if (length > MAX_OVERRIDES_LENGTH) {
      add(`hooks.${key}`, `makes a RunTask command override of ${length} characters, ECS accepts ${MAX_OVERRIDES_LENGTH}: put the commands in a script in the image and call that`);
    }
  }

  if (props.pipelineType === 'destructive' && isProduction(props) && !props.allowDestructiveOnProduction) {
    add(
      'pipelineType',
      `'destructive' on production environment '${props.environment}' wipes its data: set allowDestructiveOnProduction: true to confirm, or use 'normal'`,
    );
  }

  if (props.broker) {
    const b = props.broker;
    if (isConcrete(b.endpoint) && !HTTP_URL.test(b.endpoint)) {
      add('broker.endpoint', `'${b.endpoint}' is not a URL: use the management API base URL, e.g. https://b-1234.mq.eu-central-1.amazonaws.com`);
    }
    if (isConcrete(b.endpoint) && b.endpoint.startsWith('http://') && !b.allowInsecureBrokerEndpoint) {
      add('broker.endpoint', `'${b.endpoint}' is plain http: the admin's and every user's password would cross the network in the clear; use https, or set broker.allowInsecureBrokerEndpoint: true for a broker on a private network`);
    }
    if (b.vhosts.length === 0) add('broker.vhosts', "is empty: declare one vhost per store (broker.namespace, e.g. 'de_queue')");
    const dup = b.vhosts.filter((v, i) => b.vhosts.indexOf(v) !== i);
    if (dup.length) add('broker.vhosts', `lists ${[...new Set(dup)].join(', ')} more than once: list each vhost once`);
    if (isConcrete(b.endpoint) && /\/api\/?$/.test(b.endpoint)) {
      add('broker.endpoint', `'${b.endpoint}' ends in /api: give the base URL, the handler adds /api/...`);
    }
    b.vhosts.forEach((v, i) => {
      if (isConcrete(v) && v.trim() === '') add(`broker.vhosts[${i}]`, 'is empty: name the vhost (e.g. de_queue)');
    });
    const userNames = new Map<string, number>();
    // Stryker disable next-line ArrayDeclaration: a string in place of a user has no name and no permissions to judge
    (b.users ?? []).forEach((u, i) => {
      if (isConcrete(u.name)) {
        // ':' would break HTTP basic auth; Amazon MQ deletes 'guest', and RabbitMQ lets it in from localhost only.
        if (!/^[^\s:]{1,255}$/.test(u.name)) add(`broker.users[${i}].name`, `'${u.name}' is not allowed: use 1-255 characters without spaces or ':'`);
        if (u.name === 'guest') add(`broker.users[${i}].name`, "'guest' only logs in from localhost (and Amazon MQ deletes it): choose another name");
        const seen = userNames.get(u.name);
        if (seen !== undefined) add(`broker.users[${i}].name`, `'${u.name}' is declared twice (also broker.users[${seen}]): declare each user once`);
        userNames.set(u.name, i);
      }
      const permitted = new Set<string>();
      for (const p of u.permissions ?? []) {
        if (!b.vhosts.includes(p.vhost)) {
          add(`broker.users[${i}].permissions`, `vhost '${p.vhost}' is not declared in broker.vhosts: declare it or remove the permission`);
        }
        if (permitted.has(p.vhost)) add(`broker.users[${i}].permissions`, `vhost '${p.vhost}' is listed twice: a user has one permission per vhost`);
        permitted.add(p.vhost);
      }
    });
  }

  const sources = Object.entries(props.source ?? {}).filter(([, v]) => v !== undefined);
  if (sources.length > 1) {
    add('source', `sets ${sources.map(([k]) => k).join(' and ')}: choose exactly one source kind`);
  }
  const repo = props.source?.connection?.repository;
  if (isConcrete(repo) && !/^[^/\s]+\/[^/\s]+$/.test(repo)) {
    add('source.connection.repository', `'${repo}' is not 'owner/repo'`);
  }
  for (const [key, limit] of Object.entries(props.hookTimeouts ?? {})) {
    if (!limit || limit.isUnresolved()) continue;
    const seconds = limit.toSeconds();
    if (seconds % 60 !== 0 || seconds < 60 || seconds > MAX_HOOK_TIMEOUT_MINUTES * 60) {
      add(`hookTimeouts.${key}`, `is ${limit.toHumanString()}: use whole minutes from 1 minute to ${MAX_HOOK_TIMEOUT_MINUTES / 60} hours (CodePipeline gives a Lambda action 24 hours in all)`);
    }
  }
  if (!wholeMinutesWithin(props.approval?.timeout, 5, 60 * 24 * 60)) {
    add('approval.timeout', 'must be between 5 minutes and 60 days, in whole minutes (CodePipeline manual approval limit)');
  }
  const retention = props.report?.retention;
  if (retention && !retention.isUnresolved() && (retention.toMilliseconds() % 86_400_000 !== 0 || retention.toMilliseconds() < 86_400_000 || retention.toMilliseconds() > 3650 * 86_400_000)) {
    add('report.retention', `is ${retention.toHumanString()}: use whole days from 1 to 3650 (the reports bucket expires objects by days)`);
  }
  problems.push(...validateSourceAndBuild(props));
  problems.push(...validateSafetyNet(props));
  problems.push(...validateConditions(props));
  return problems;
}

const CIDR = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;
/** ALB: priorities 1-50000; a fixed response body of at most 1024 characters. */
const MAX_PRIORITY = 50_000;
const MAX_FIXED_RESPONSE = 1024;

/** Maintenance mode, warm-up and notifications. */
function validateSafetyNet(props: SprykerPipelineProps): PropsProblem[] {
  const problems: PropsProblem[] = [];
  const add = (prop: string, message: string) => problems.push({ prop, message });
  const m = props.maintenance;
  if (m) {
    const priority = m.priority;
    if (priority !== undefined && !Token.isUnresolved(priority) && (!Number.isInteger(priority) || priority < 1 || priority > MAX_PRIORITY)) {
      add('maintenance.priority', `${priority} is not a listener rule priority: use a whole number from 1 to ${MAX_PRIORITY}, below the shop's own rules`);
    }
    const bad = (m.allowedIps ?? []).filter((ip) => isConcrete(ip) && !CIDR.test(ip));
    if (bad.length) add('maintenance.allowedIps', `${bad.join(', ')} not in CIDR notation: write 203.0.113.7/32 for one address, 203.0.113.0/24 for a range`);
    if (m.duringInstall === 'auto' && !releaseDiffEnabled(props)) {
      add(
        'maintenance.duringInstall',
        "'auto' decides by Release_diff's schema risk, which is off (approval.releaseDiff false, or a git source with fullClone false): turn it on, or use true or false",
      );
    }
    if (isConcrete(m.page) && m.page.length > MAX_FIXED_RESPONSE) {
      add('maintenance.page', `is ${m.page.length} characters; an ALB fixed response holds at most ${MAX_FIXED_RESPONSE}: shorten it, or link styles and images from elsewhere`);
    }
  }
  const w = props.warmUp;
  if (w) {
    if (w.urls.length === 0) add('warmUp.urls', 'is empty: list the pages to warm up (home, a category, a product, ...), or leave warmUp out');
    const notUrls = w.urls.filter((u) => isConcrete(u) && !HTTP_URL.test(u));
    if (notUrls.length) add('warmUp.urls', `${notUrls.join(', ')} not http(s) URLs: write them in full, e.g. https://www.shop.de/`);
    const badConcurrency = w.concurrency !== undefined && (!Number.isInteger(w.concurrency) || w.concurrency < 1 || w.concurrency > 50);
    if (badConcurrency) add('warmUp.concurrency', `${w.concurrency} is not allowed: use a whole number from 1 to 50`);
    const timeout = (w.timeout ?? WARM_UP_DEFAULTS.timeout).toMilliseconds();
    if (timeout < 1000) add('warmUp.timeout', 'must be at least 1 second');
    if (w.ttfbThreshold && w.ttfbThreshold.toMilliseconds() >= timeout) {
      add('warmUp.ttfbThreshold', `must be below warmUp.timeout (${timeout} ms): a slower first byte already times out`);
    }
    const worst = badConcurrency ? 0 : warmUpWorstCase(w).toMilliseconds();
    if (worst > MAX_WARM_UP.toMilliseconds()) {
      add('warmUp', `requesting ${w.urls.length} pages, ${w.concurrency ?? WARM_UP_DEFAULTS.concurrency} at a time, may take ${(worst / 60_000).toFixed(1)} minutes when every page times out; a step may run ${MAX_WARM_UP.toMinutes()}: raise concurrency, lower timeout, or list fewer pages`);
    }
  }
  problems.push(...validateCutover(props));
  const events = props.notifications?.events;
  if (events && events.length === 0) add('notifications.events', "is empty: list at least one of 'approval-needed', 'failed', 'succeeded', or leave notifications out");
  return problems;
}

/** cutover and cutoverChecks (docs/cutover.md). */
function validateCutover(props: SprykerPipelineProps): PropsProblem[] {
  const problems: PropsProblem[] = [];
  const add = (prop: string, message: string) => problems.push({ prop, message });
  const cutover = props.cutover ?? 'rolling';
  if (cutover !== 'rolling' && cutover !== 'together') add('cutover', `'${String(cutover)}' is not allowed: use 'rolling' (each service on its own) or 'together' (ECS blue/green, all services at once)`);
  const checks = props.cutoverChecks;
  if (!checks) return problems;
  if (cutover !== 'together') add('cutoverChecks', "applies only with cutover: 'together': set cutover, or leave cutoverChecks out");
  const apps = [...props.services, ...(props.frontend ? [props.frontend] : [])].map((s) => s.application);
  for (const [app, urls] of Object.entries(checks)) {
    if (!apps.includes(app)) add(`cutoverChecks.${app}`, `'${app}' is not an application service (${apps.join(', ')}): key the pages by application`);
    const notUrls = urls.filter((u) => isConcrete(u) && !HTTP_URL.test(u));
    if (notUrls.length) add(`cutoverChecks.${app}`, `${notUrls.join(', ')} not http(s) URLs: write them in full, on the test listener (e.g. https://www.shop.de:8443/)`);
  }
  return problems;
}

/** CodePipeline push filters take at most 8 patterns each. */
const MAX_FILTER_PATTERNS = 8;
/** An image key becomes part of an ECR repository name `{env}-{key}` (at most 256 characters). */
const IMAGE_KEY = /^[a-z0-9][a-z0-9._-]{0,200}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Source triggers, approval e-mails, and the images the build produces. */
function validateSourceAndBuild(props: SprykerPipelineProps): PropsProblem[] {
  const problems: PropsProblem[] = [];
  const add = (prop: string, message: string) => problems.push({ prop, message });
  const connection = props.source?.connection;
  for (const kind of ['branchPatterns', 'tagPatterns'] as const) {
    const patterns = connection?.[kind];
    if (patterns && (patterns.length === 0 || patterns.length > MAX_FILTER_PATTERNS)) {
      add(`source.connection.${kind}`, `has ${patterns.length} patterns: a push trigger takes 1 to ${MAX_FILTER_PATTERNS} (leave it out for the default)`);
    }
  }
  const key = props.source?.s3?.key;
  if (isConcrete(key) && key.trim() === '') add('source.s3.key', "is empty: name the archive's object key, e.g. 'source.zip'");

  (props.approval?.emails ?? []).forEach((email, i) => {
    if (isConcrete(email) && !EMAIL.test(email)) add(`approval.emails[${i}]`, `'${email}' is not an e-mail address`);
  });

  const build = props.build ?? {};
  const built = build.images;
  if (built) {
    if (built.length === 0) add('build.images', 'is empty: leave it out to build every image of the services');
    built.forEach((image, i) => {
      if (isConcrete(image) && !IMAGE_KEY.test(image)) add(`build.images[${i}]`, `'${image}' is not allowed: use lowercase letters, digits, '.', '_' and '-' (it names the ECR repository ${props.environment}-${image})`);
      if (built.indexOf(image) !== i) add(`build.images[${i}]`, `'${image}' is listed twice`);
    });
    const all = propServices(props);
    for (const [path, svc] of all) {
      for (const image of Object.values(svc.containerImages ?? { [svc.application]: svc.application })) {
        if (!built.includes(image)) add(`${path}.containerImages`, `image '${image}' is not in build.images: Build_and_Prepare would not produce it; add it to build.images`);
      }
    }
  }
  if (build.buildCommands && build.buildCommands.every((c) => isConcrete(c) && c.trim() === '')) {
    add('build.buildCommands', "is empty: leave it out for docker-sdk's build, or give commands that print '<image key> <local image>' per image");
  }
  if (props.releaseHistory !== undefined && !(Number.isInteger(props.releaseHistory) && props.releaseHistory >= 2 && props.releaseHistory <= 10000)) {
    add('releaseHistory', `${props.releaseHistory} is not allowed: keep 2 to 10000 releases (at least the live one and the previous one, the stage-rollback target)`);
  }
  if (build.keepImages !== undefined && !(Number.isInteger(build.keepImages) && build.keepImages >= 1 && build.keepImages <= 10000)) {
    add('build.keepImages', `${build.keepImages} is not allowed: keep 1 to 10000 images per repository (enough versions for a rollback)`);
  }
  if (!wholeMinutesWithin(build.timeout, 5, 36 * 60)) {
    add('build.timeout', 'must be between 5 minutes and 36 hours, in whole minutes (CodeBuild limit)');
  }
  return problems;
}

/**
 * Whether an optional timeout is a whole number of minutes within [min, max]: CloudFormation takes
 * these timeouts in minutes, and CDK throws on a fraction (Duration.toMinutes) instead of naming the prop.
 */
function wholeMinutesWithin(timeout: Duration | undefined, min: number, max: number): boolean {
  if (timeout === undefined || timeout.isUnresolved()) return true;
  const minutes = timeout.toMinutes({ integral: false });
  return Number.isInteger(minutes) && minutes >= min && minutes <= max;
}
