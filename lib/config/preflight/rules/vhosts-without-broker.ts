import type { PreflightRule } from '../finding';

export const VhostsWithoutBroker: PreflightRule = {
  code: 'SDF308',
  severity: 'warning',
  name: 'vhosts declared but no broker in props',
  check: (ctx) => {
    const vhosts = ctx.vhosts;
    return ctx.props && !ctx.props.broker && vhosts.length
      ? [
          {
            message: `the file declares vhosts ${vhosts.map((v) => v.vhost).join(', ')}, but props give no broker: Configure_RabbitMQ_Vhosts_and_Permissions will do nothing`,
            suggestion: 'pass broker: { endpoint, adminSecret } so the pipeline creates the vhosts before the install',
          },
        ]
      : [];
  },
};
