import type { PreflightRule } from '../finding';

/** The pipeline takes passwords from Secrets Manager only; a password in the repository is a leak, not configuration. */
export const BrokerPasswordInFile: PreflightRule = {
  code: 'SDF305',
  severity: 'warning',
  name: 'broker password written in the deploy file',
  check: (ctx) =>
    (ctx.config.broker?.passwordPaths ?? []).map((path) => ({
      message: 'a broker password is written in the deploy file; the pipeline never uses it (nor copies it into a template)',
      suggestion: "keep the password in Secrets Manager and pass it as broker.userSecrets['<user>']; remove it from the file if the file reaches production",
      path,
    })),
};
