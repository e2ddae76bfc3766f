import type { PreflightRule } from '../finding';
import { repeats } from '../repeats';

/** Two stores on one vhost consume each other's messages. */
export const DuplicateVhost: PreflightRule = {
  code: 'SDF302',
  severity: 'critical',
  name: 'broker namespace used twice',
  check: (ctx) =>
    repeats(ctx.vhosts, (v) => v.vhost).map(([{ vhost, path }, first]) => ({
      message: `vhost '${vhost}' is also the namespace of ${first.path.join('.')}`,
      suggestion: 'give every store (every region in Dynamic Multistore mode) its own broker namespace',
      path,
    })),
};
