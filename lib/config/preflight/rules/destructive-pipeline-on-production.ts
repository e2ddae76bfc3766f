import type { PreflightRule } from '../finding';

/** Allowed, on purpose: still worth a warning on every synth. */
export const DestructivePipelineOnProduction: PreflightRule = {
  code: 'SDF204',
  severity: 'warning',
  name: 'destructive pipeline on production',
  check: (ctx) =>
    ctx.production && ctx.props?.pipelineType === 'destructive' && ctx.props.allowDestructiveOnProduction
      ? [
          {
            message: `the pipeline of production environment '${ctx.environment}' is destructive: every run executes SPRYKER_HOOK_DESTRUCTIVE_INSTALL and wipes data`,
            suggestion: "deploy it only for a first install or a planned reset, then switch pipelineType back to 'normal'",
          },
        ]
      : [],
};
