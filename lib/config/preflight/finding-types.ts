/*
 * What a preflight finding is, apart from the rules that find it: a leaf, so that the props
 * (config/types.ts) and the deploy file's model carry findings without importing the rules.
 */

/** critical: synth (and `cdk-spryker-pipeline validate`) fails; warning: a CDK annotation. */
export type Severity = 'critical' | 'warning';

/** Where in the deploy file (or its imports) a finding points. */
export interface FileLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One problem a preflight rule found: a stable code, what is wrong, and what to do about it. */
export interface PreflightFinding {
  /** Stable code, e.g. `SDF301`: search docs/deploy-file.md for it. */
  readonly code: string;
  readonly severity: Severity;
  /** What is wrong, naming the key (`regions.EU.stores.DE.services.broker.namespace`) or prop. */
  readonly message: string;
  /** The fix. */
  readonly suggestion: string;
  /** The key path in the merged deploy file, dot-separated. @default - not about one key */
  readonly path?: string;
  /** File, line and column of that key, when the file has it. */
  readonly location?: FileLocation;
}
