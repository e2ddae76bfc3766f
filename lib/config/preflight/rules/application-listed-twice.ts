import type { PreflightRule } from '../finding';

/** docker-sdk requires application keys to be project-wide unique: two groups cannot both have `yves`. */
export const ApplicationListedTwice: PreflightRule = {
  code: 'SDF402',
  severity: 'critical',
  name: 'application listed twice',
  check: (ctx) => {
    const groupOf = new Map<string, string>();
    return ctx.config.applications.flatMap((a) => {
      const first = groupOf.get(a.key);
      if (first === undefined) {
        groupOf.set(a.key, a.group);
        return [];
      }
      return [
        {
          message: `application ${a.key} is listed in group ${first} and again in group ${a.group}`,
          suggestion: `list it once, or give the second one its own key (e.g. ${a.key}_${a.group.toLowerCase()})`,
          path: a.path,
        },
      ];
    });
  },
};
