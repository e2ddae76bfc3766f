import { Token } from 'aws-cdk-lib';
import type { SprykerPipelineProps, SprykerServiceProps } from './types';

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
  const all = [...props.services.map((s, i) => [`services[${i}]`, s] as const), ['scheduler', props.scheduler] as const];
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
    if (svc.containerImages !== undefined && Object.keys(svc.containerImages).length === 0) {
      add(`${path}.containerImages`, 'is empty: name at least one container whose image the release replaces, or leave it out');
    }
  }

  const hookService = props.hookService ?? 'zed';
  if (!props.services.some((s) => s.application === hookService)) {
    add('hookService', `'${hookService}' is not one of the services (${props.services.map((s) => s.application).join(', ') || 'none'}): hooks run in a service's task definition; add it to services or set hookService`);
  }

  for (const [key, command] of Object.entries(props.hooks ?? {})) {
    if (typeof command === 'string' && isConcrete(command) && command.trim() === '') {
      add(`hooks.${key}`, "is an empty string: leave it out for SCCOS's default, or use 'true' to run nothing");
    }
  }

  if ((props.pipelineType ?? 'normal') === 'destructive' && isProduction(props) && !props.allowDestructiveOnProduction) {
    add(
      'pipelineType',
      `'destructive' on production environment '${props.environment}' wipes its data: set allowDestructiveOnProduction: true to confirm, or use 'normal'`,
    );
  }

  if (props.broker) {
    const b = props.broker;
    if (isConcrete(b.endpoint) && !/^https?:\/\/[^/\s]+/.test(b.endpoint)) {
      add('broker.endpoint', `'${b.endpoint}' is not a URL: use the management API base URL, e.g. https://b-1234.mq.eu-central-1.amazonaws.com`);
    }
    if (b.vhosts.length === 0) add('broker.vhosts', "is empty: declare one vhost per store (broker.namespace, e.g. 'de_queue')");
    const dup = b.vhosts.filter((v, i) => b.vhosts.indexOf(v) !== i);
    if (dup.length) add('broker.vhosts', `lists ${[...new Set(dup)].join(', ')} more than once: list each vhost once`);
    (b.users ?? []).forEach((u, i) => {
      for (const p of u.permissions ?? []) {
        if (!b.vhosts.includes(p.vhost)) {
          add(`broker.users[${i}].permissions`, `vhost '${p.vhost}' is not declared in broker.vhosts: declare it or remove the permission`);
        }
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
  const timeout = props.approval?.timeout;
  if (timeout && !timeout.isUnresolved() && (timeout.toMinutes() < 1 || timeout.toMinutes() > 7 * 24 * 60)) {
    add('approval.timeout', 'must be between 1 minute and 7 days (CodePipeline manual approval limit)');
  }
  problems.push(...validateSourceAndBuild(props));
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
      if (!IMAGE_KEY.test(image)) add(`build.images[${i}]`, `'${image}' is not allowed: use lowercase letters, digits, '.', '_' and '-' (it names the ECR repository ${props.environment}-${image})`);
      if (built.indexOf(image) !== i) add(`build.images[${i}]`, `'${image}' is listed twice`);
    });
    const all = [...props.services.map((s, i) => [`services[${i}]`, s] as const), ['scheduler', props.scheduler] as const];
    for (const [path, svc] of all) {
      for (const image of Object.values(svc.containerImages ?? { [svc.application]: svc.application })) {
        if (!built.includes(image)) add(`${path}.containerImages`, `image '${image}' is not in build.images: Build_and_Prepare would not produce it; add it to build.images`);
      }
    }
  }
  if (build.buildCommands && build.buildCommands.every((c) => isConcrete(c) && c.trim() === '')) {
    add('build.buildCommands', "is empty: leave it out for docker-sdk's build, or give commands that print '<image key> <local image>' per image");
  }
  if (build.keepImages !== undefined && !(Number.isInteger(build.keepImages) && build.keepImages >= 1 && build.keepImages <= 10000)) {
    add('build.keepImages', `${build.keepImages} is not allowed: keep 1 to 10000 images per repository (enough versions for a rollback)`);
  }
  const timeout = build.timeout;
  if (timeout && !timeout.isUnresolved() && (timeout.toMinutes({ integral: false }) < 5 || timeout.toMinutes({ integral: false }) > 36 * 60)) {
    add('build.timeout', 'must be between 5 minutes and 36 hours (CodeBuild limit)');
  }
  return problems;
}
