import type { PreflightRule } from '../finding';

/** Two stores on one vhost consume each other's messages. */
export const DuplicateVhost: PreflightRule = {
  code: 'SDF302',
  severity: 'critical',
  name: 'broker namespace used twice',
  check: (ctx) => {
    const first = new Map<string, string>();
    return ctx.vhosts.flatMap(({ vhost, path }) => {
      const seen = first.get(vhost);
      if (seen === undefined) {
        first.set(vhost, path.join('.'));
        return [];
      }
      return [{ message: `vhost '${vhost}' is also the namespace of ${seen}`, suggestion: 'give every store (every region in Dynamic Multistore mode) its own broker namespace', path }];
    });
  },
};
