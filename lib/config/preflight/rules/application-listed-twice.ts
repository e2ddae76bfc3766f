import type { PreflightRule } from '../finding';
import { repeats } from '../repeats';

/** docker-sdk requires application keys to be project-wide unique: two groups cannot both have `yves`. */
export const ApplicationListedTwice: PreflightRule = {
  code: 'SDF402',
  severity: 'critical',
  name: 'application listed twice',
  check: (ctx) =>
    repeats(ctx.config.applications, (a) => a.key).map(([a, first]) => ({
      message: `application ${a.key} is listed in group ${first.group} and again in group ${a.group}`,
      suggestion: `list it once, or give the second one its own key (e.g. ${a.key}_${a.group.toLowerCase()})`,
      path: a.path,
    })),
};
