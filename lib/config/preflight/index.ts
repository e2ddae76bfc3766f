/**
 * The preflight pass: one rule per file under rules/, each with a stable code and severity, run
 * in code order over one context. Critical findings stop synth; warnings become annotations.
 */
import type { PreflightContext, PreflightFinding, PreflightRule } from './finding';
import { UNREAD_KINDS } from './rules/load-problems';
import { YamlSyntax } from './rules/yaml-syntax';
import { DuplicateKey } from './rules/duplicate-key';
import { ImportMissing } from './rules/import-missing';
import { ImportCycle } from './rules/import-cycle';
import { ImportOutside } from './rules/import-outside';
import { AliasBomb } from './rules/alias-bomb';
import { NotUtf8 } from './rules/not-utf8';
import { ImportSkipped } from './rules/import-skipped';
import { PlaceholderFilter } from './rules/placeholder-filter';
import { FileName } from './rules/file-name';
import { EnvironmentUnknown } from './rules/environment-unknown';
import { HookEmpty } from './rules/hook-empty';
import { HookNotString } from './rules/hook-not-string';
import { DestructiveHookOnProduction } from './rules/destructive-hook-on-production';
import { DestructivePipelineOnProduction } from './rules/destructive-pipeline-on-production';
import { HookTooLong } from './rules/hook-too-long';
import { HookShellSyntax } from './rules/hook-shell-syntax';
import { HookSkipsScheduler } from './rules/hook-skips-scheduler';
import { InstallRecipeMissing } from './rules/install-recipe-missing';
import { HookRecipeMissing } from './rules/hook-recipe-missing';
import { StoreWithoutVhost } from './rules/store-without-vhost';
import { DuplicateVhost } from './rules/duplicate-vhost';
import { RegionWithoutVhost } from './rules/region-without-vhost';
import { StoreVhostIgnored } from './rules/store-vhost-ignored';
import { BrokerPasswordInFile } from './rules/broker-password-in-file';
import { BrokerUserUnmanaged } from './rules/broker-user-unmanaged';
import { BrokerNotRabbitMq } from './rules/broker-not-rabbitmq';
import { VhostsWithoutBroker } from './rules/vhosts-without-broker';
import { UnknownApplicationType } from './rules/unknown-application-type';
import { ApplicationListedTwice } from './rules/application-listed-twice';
import { DuplicateEndpoint } from './rules/duplicate-endpoint';
import { ApplicationWithoutType } from './rules/application-without-type';
import { GroupUnknownRegion } from './rules/group-unknown-region';
import { EndpointUnknownStore } from './rules/endpoint-unknown-store';
import { SharedEcsService } from './rules/shared-ecs-service';
import { ServiceTypeConflict } from './rules/service-type-conflict';
import { NoHookApplication } from './rules/no-hook-application';
import { NoApplications } from './rules/no-applications';
import { ApplicationWithoutEndpoints } from './rules/application-without-endpoints';
import { NoScheduler } from './rules/no-scheduler';
import { SchedulerNotJenkins } from './rules/scheduler-not-jenkins';

export * from './finding';

/** Every rule, in code order. */
export const PREFLIGHT_RULES: readonly PreflightRule[] = [
  YamlSyntax,
  DuplicateKey,
  ImportMissing,
  ImportCycle,
  ImportOutside,
  AliasBomb,
  NotUtf8,
  ImportSkipped,
  PlaceholderFilter,
  FileName,
  EnvironmentUnknown,
  HookEmpty,
  HookNotString,
  DestructiveHookOnProduction,
  DestructivePipelineOnProduction,
  HookTooLong,
  HookShellSyntax,
  HookSkipsScheduler,
  InstallRecipeMissing,
  HookRecipeMissing,
  StoreWithoutVhost,
  DuplicateVhost,
  RegionWithoutVhost,
  StoreVhostIgnored,
  BrokerPasswordInFile,
  BrokerUserUnmanaged,
  BrokerNotRabbitMq,
  VhostsWithoutBroker,
  UnknownApplicationType,
  ApplicationListedTwice,
  DuplicateEndpoint,
  ApplicationWithoutType,
  GroupUnknownRegion,
  EndpointUnknownStore,
  SharedEcsService,
  ServiceTypeConflict,
  NoHookApplication,
  NoApplications,
  ApplicationWithoutEndpoints,
  NoScheduler,
  SchedulerNotJenkins,
];

export function runPreflight(ctx: PreflightContext, rules: readonly PreflightRule[] = PREFLIGHT_RULES): PreflightFinding[] {
  // A file that did not parse has no content to check: its other findings would only be noise.
  const unparsed = ctx.config.loadProblems.some((p) => UNREAD_KINDS.includes(p.kind));
  return rules.filter((rule) => rule.readsLoadProblems || !unparsed).flatMap((rule) =>
    rule.check(ctx).map((issue) => {
      const location = issue.location ?? (issue.path ? ctx.config.locate(issue.path) : undefined);
      return {
        code: rule.code,
        severity: rule.severity,
        message: issue.message,
        suggestion: issue.suggestion,
        ...(issue.path && { path: issue.path.join('.') }),
        ...(location && { location }),
      };
    }),
  );
}
