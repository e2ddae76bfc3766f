/**
 * The release diff: what a release changes for a Spryker deployment, between the last deployed
 * version and the one to deploy. One versioned shape for the CLI, the step handler and the
 * stored report (release-diff.json).
 */

/** Bump when the report's shape changes incompatibly. */
export const REPORT_VERSION = 1;

export interface Commit {
  readonly hash: string;
  /** `Name <email>` */
  readonly author: string;
  /** ISO 8601, the author date. */
  readonly date: string;
  readonly subject: string;
}

export type FileStatus = 'added' | 'modified' | 'deleted';

export interface FileChange {
  readonly path: string;
  readonly status: FileStatus;
}

/** A deploy file that changed, with the top-level sections and hook variables that differ. */
export interface DeployFileChange extends FileChange {
  /** Changed sections, e.g. `image`, `regions`, `services.broker`. @default [] when unreadable */
  readonly sections: string[];
  /** Changed SPRYKER_HOOK_* variables of `image.environment`. */
  readonly hooks: string[];
}

export interface ComposerChange {
  readonly name: string;
  /** @default - added by the release */
  readonly from?: string;
  /** @default - removed by the release */
  readonly to?: string;
  /** A Spryker module (`spryker/*`, `spryker-shop/*`, `spryker-feature/*`) whose major version changes. */
  readonly sprykerMajor: boolean;
}

export type SchemaRisk = 'none' | 'additive' | 'breaking';

export interface SchemaChange {
  readonly table: string;
  readonly column?: string;
  /** What changed, e.g. `column removed`, `VARCHAR(255) → VARCHAR(64)`. */
  readonly change: string;
}

export interface ReleaseGroups {
  /** Propel schema files (`*.schema.xml`): the database migrates. */
  readonly schema: FileChange[];
  /** Deploy files (`deploy*.yml`, `config/deploy-templates/`) and their hooks. */
  readonly deployFile: DeployFileChange[];
  /** Install recipes (`config/install/**.yml`): what Run_install runs. */
  readonly recipes: FileChange[];
  /** Scheduler jobs (`config/Zed/cronjobs/`). */
  readonly scheduler: FileChange[];
  /** Packages of `composer.lock` whose version changes. */
  readonly composer: ComposerChange[];
  /** Frontend sources: `frontend/`, Yves themes, `package.json`, `package-lock.json`. */
  readonly frontend: FileChange[];
}

/** RabbitMQ desired state: the deploy file's broker sections and `config/Shared/config_*.php` with broker settings. */
export interface BrokerChange {
  readonly path: string;
  /** `services.broker` or `regions.EU.stores.DE.services.broker`, or `config` for a PHP config file. */
  readonly section: string;
}

export interface ImagePlan {
  /** Images Build_and_Prepare builds (no `{env}-{image}:{version}` yet). */
  readonly build: string[];
  /** Images already in ECR for the version: reused. */
  readonly reuse: string[];
}

export interface ReleaseDiff {
  readonly v: typeof REPORT_VERSION;
  readonly from: string;
  readonly to: string;
  /** `forward` (a new release), `rollback` (the version is older than the deployed one), `first` (nothing deployed yet), `same`. */
  readonly direction: 'forward' | 'rollback' | 'first' | 'same';
  /** Commits between the versions (the undone ones for a rollback). @default [] without git history (S3 source) */
  readonly commits: Commit[];
  /** Whether commits are known (git) or not (two source archives). */
  readonly history: boolean;
  readonly groups: ReleaseGroups;
  readonly broker: BrokerChange[];
  /** Changed files in no group (PHP code, tests, …): counted, listed in the full report. */
  readonly other: FileChange[];
  readonly schemaRisk: SchemaRisk;
  readonly breaking: SchemaChange[];
  readonly additive: SchemaChange[];
  /** @default - unknown (no existing image tags given) */
  readonly images?: ImagePlan;
}

/** The `--json` shape of `cdk-spryker-pipeline release-diff` (issue 18): exactly these keys. */
export interface ReleaseDiffJson {
  readonly from: string;
  readonly to: string;
  readonly commits: Commit[];
  readonly groups: ReleaseGroups;
  readonly schemaRisk: SchemaRisk;
  readonly breaking: SchemaChange[];
}
