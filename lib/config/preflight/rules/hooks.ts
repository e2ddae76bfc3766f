import { HOOK_VARIABLES, type HookKey } from '../../types';
import type { PreflightContext } from '../finding';

export interface EffectiveHook {
  readonly key: HookKey;
  readonly variable: string;
  readonly value: unknown;
  /** Where the value comes from: the file's key path, or none when props set it. */
  readonly path?: string[];
  /** `image.environment.SPRYKER_HOOK_INSTALL` or `props hooks.install`: for messages. */
  readonly where: string;
}

/** The hooks the pipeline runs: props win over the file, as in the props builder. */
export function effectiveHooks(ctx: PreflightContext): EffectiveHook[] {
  return (Object.entries(HOOK_VARIABLES) as [HookKey, string][]).flatMap(([key, variable]): EffectiveHook[] => {
    const fromProps = ctx.props?.hooks?.[key];
    if (fromProps !== undefined) return [{ key, variable, value: fromProps, where: `props hooks.${key}` }];
    if (!(key in ctx.config.hooks)) return [];
    const path = ['image', 'environment', variable];
    return [{ key, variable, value: ctx.config.hooks[key], path, where: path.join('.') }];
  });
}

/** Install recipes and console commands that wipe data. */
export const DESTRUCTIVE_COMMAND = /destructive|database:drop|search:index:delete/;
