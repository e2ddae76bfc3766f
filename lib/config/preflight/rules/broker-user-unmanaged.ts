import type { PreflightRule } from '../finding';

export const BrokerUserUnmanaged: PreflightRule = {
  code: 'SDF306',
  severity: 'warning',
  name: 'broker user from the file without a password secret',
  check: (ctx) => {
    const broker = ctx.props?.broker;
    if (!broker) return [];
    const managed = new Set((broker.users ?? []).map((u) => u.name));
    return ctx.brokerUsers
      .filter((u) => !managed.has(u.name))
      .map((u) => ({
        message: `broker user '${u.name}' is not managed by the pipeline: no password secret for it`,
        suggestion: `pass broker.userSecrets: { '${u.name}': <secret> }, or ignore this if '${u.name}' is the admin user of adminSecret`,
        path: u.path,
      }));
  },
};
