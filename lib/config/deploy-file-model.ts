import type { FileLocation } from './preflight/finding-types';
import type { HookKey } from './types';

/* A deploy file as read (imports merged): the shape the reader (deploy-file.ts) fills and the preflight rules check. */

/** Why the file (or an import) could not be read as a deploy file. Preflight rules report them. */
export type LoadProblemKind =
  | 'syntax'
  | 'duplicate-key'
  | 'import-missing'
  | 'import-skipped'
  | 'import-cycle'
  | 'import-outside'
  | 'unreadable'
  | 'not-utf8'
  | 'alias-bomb'
  | 'placeholder-filter';

export interface LoadProblem {
  readonly kind: LoadProblemKind;
  readonly message: string;
  readonly location?: FileLocation;
}

export interface DeployFileStore {
  readonly region: string;
  readonly name: string;
  /** `services.broker.namespace`: the store's vhost. */
  readonly brokerNamespace?: string;
  /** `services.broker.username`. */
  readonly brokerUser?: string;
  readonly path: string[];
}

export interface DeployFileRegion {
  readonly name: string;
  /** `regions.*.services.broker.namespace`: the region's vhost in Dynamic Multistore mode. */
  readonly brokerNamespace?: string;
  readonly brokerUser?: string;
  readonly stores: DeployFileStore[];
  readonly path: string[];
}

export interface DeployFileEndpoint {
  readonly host: string;
  readonly store?: string;
  readonly region?: string;
}

export interface DeployFileApplication {
  /** The key under `groups.*.applications` (project-wide unique in docker-sdk). */
  readonly key: string;
  /** The application type (`application:`), when the file sets a string. */
  readonly application?: string;
  readonly group: string;
  /** The group's region. */
  readonly region?: string;
  readonly endpoints: DeployFileEndpoint[];
  /** `endpoints` is a map (or list), as docker-sdk's schema requires. */
  readonly hasEndpoints: boolean;
  readonly path: string[];
}

export interface DeployFileGroup {
  readonly name: string;
  readonly region?: string;
  readonly path: string[];
}

/** A deploy file with its imports merged, and what the pipeline reads from it. */
export interface DeployFileConfig {
  /** Absolute path of the main file. */
  readonly file: string;
  readonly fileName: string;
  /** From the file name, when it follows `deploy.(project)-(environment).yml`. */
  readonly project?: string;
  readonly environment?: string;
  /** Every file read, the main file first. */
  readonly files: string[];
  /**
   * The Spryker project the file sits in: the nearest directory at or above it with a
   * composer.json or a config/install/. @default - not in a Spryker project: recipes are not checked
   */
  readonly projectRoot?: string;
  /** The merged document. */
  readonly data: Record<string, unknown>;
  /** `image.environment.SPRYKER_DYNAMIC_STORE_MODE` is on: vhosts are per region. */
  readonly dynamicStoreMode: boolean;
  /** Hook variables present in `image.environment`, as the file has them (not always strings). */
  readonly hooks: Partial<Record<HookKey, unknown>>;
  readonly regions: DeployFileRegion[];
  readonly groups: DeployFileGroup[];
  readonly applications: DeployFileApplication[];
  /** `services.broker`. @default - the file declares no broker */
  readonly broker?: {
    readonly engine?: unknown;
    /** `services.broker.api.username`. */
    readonly apiUser?: string;
    /** Key paths of broker passwords written in the file (never their values). */
    readonly passwordPaths: string[][];
  };
  /** `services.scheduler`. @default - the file declares no scheduler */
  readonly scheduler?: { readonly engine?: unknown };
  readonly loadProblems: LoadProblem[];
  /** File, line and column of a key path, searching the main file first. */
  locate(keyPath: readonly string[]): FileLocation | undefined;
}

export interface DeployFileVhost {
  readonly vhost: string;
  readonly path: string[];
}

export interface DeployFileBrokerUser {
  readonly name: string;
  /** The vhosts of the stores (regions) that name the user. @default - every vhost: the API user */
  readonly vhosts?: string[];
  readonly path: string[];
}
