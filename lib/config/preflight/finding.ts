import { ZED_APPLICATIONS, type SprykerPipelineProps, type SprykerServiceProps } from '../types';
import type { DeployFileBrokerUser, DeployFileConfig, DeployFileVhost } from '../deploy-file-model';
import type { FileLocation, PreflightFinding, Severity } from './finding-types';

export type { FileLocation, PreflightFinding, Severity } from './finding-types';

/** docker-sdk's application type that only the frontend serves: no image, no ECS service. */
export const STATIC_APPLICATION = 'static';

/** One application service the deploy file describes, with the application keys it serves. */
export interface DerivedService {
  readonly props: SprykerServiceProps;
  /** ECS service name. */
  readonly serviceName: string;
  /** `groups.*.applications` keys deployed by this service. */
  readonly keys: string[];
  /** Their application types (more than one is a conflict). */
  readonly types: string[];
}

/** The application name of the service that runs the hooks: the first Zed application type, in ZED_APPLICATIONS order. */
export function hookApplication(services: readonly DerivedService[]): string | undefined {
  for (const type of ZED_APPLICATIONS) {
    const service = services.find((s) => s.types[0] === type);
    if (service) return service.props.application;
  }
  return undefined;
}

/** What a rule sees: the merged deploy file, what was derived from it, and the final props. */
export interface PreflightContext {
  readonly config: DeployFileConfig;
  /** The vhosts the file declares: per store, or per region in Dynamic Multistore mode. */
  readonly vhosts: DeployFileVhost[];
  /** The broker users the file names. */
  readonly brokerUsers: DeployFileBrokerUser[];
  /** Environment name: props, else the file name. @default - unknown */
  readonly environment?: string;
  readonly production: boolean;
  readonly services: DerivedService[];
  /** The props the pipeline gets (file and overrides merged). @default - only the file (the CLI) */
  readonly props?: Partial<SprykerPipelineProps>;
}

/** One preflight check, in the spirit of a cdk-nag rule: one file, one code, one severity. */
export interface PreflightRule {
  readonly code: string;
  readonly severity: Severity;
  /** Short name, for the docs and `cdk-spryker-pipeline rules`. */
  readonly name: string;
  /** Reports on reading the file: runs even when the file could not be parsed (the others then do not). */
  readonly readsLoadProblems?: boolean;
  /** Findings as `{ message, suggestion, path }`; the runner adds code, severity and location. */
  check(ctx: PreflightContext): RuleIssue[];
}

export interface RuleIssue {
  readonly message: string;
  readonly suggestion: string;
  /** Key path in the merged deploy file; the runner finds its file, line and column. */
  readonly path?: readonly string[];
  /** Where, when the rule knows better than the path (YAML errors). */
  readonly location?: FileLocation;
}

/** `SDF301 critical regions.EU.stores.DE (deploy.x.yml:12:9): message. Fix: suggestion` */
export function formatFinding(f: PreflightFinding): string {
  const where = f.location ? ` (${f.location.file}:${f.location.line}:${f.location.col})` : '';
  return `${f.code} ${f.severity}${f.path ? ` ${f.path}` : ''}${where}: ${f.message}. Fix: ${f.suggestion}`;
}

/** Thrown when a deploy file has critical findings: all of them, in one message. */
export class PreflightError extends Error {
  constructor(
    readonly file: string,
    readonly findings: PreflightFinding[],
  ) {
    const critical = findings.filter((f) => f.severity === 'critical');
    super(`${file}: ${critical.length} critical preflight finding(s), nothing deployed:\n` + critical.map((f) => `  - ${formatFinding(f)}`).join('\n'));
    this.name = 'PreflightError';
  }
}
