import type { PreflightRule } from '../finding';

export const GroupUnknownRegion: PreflightRule = {
  code: 'SDF405',
  severity: 'critical',
  name: 'group refers to an unknown region',
  check: (ctx) => {
    const regions = ctx.config.regions.map((r) => r.name);
    return ctx.config.groups
      .filter((g) => g.region === undefined || !regions.includes(g.region))
      .map((g) => ({
        message: g.region === undefined ? `group ${g.name} has no region` : `group ${g.name} refers to region ${g.region}, which regions does not define`,
        suggestion: `set region: to one of ${regions.join(', ') || '(none: define regions first)'}`,
        path: [...g.path, 'region'],
      }));
  },
};
