/** composer.lock: the packages whose version a release changes. */
import type { ComposerChange } from './types';

/** Spryker's own modules: a major bump changes their API and often their schema and data. */
export const SPRYKER_VENDORS = /^(spryker|spryker-shop|spryker-feature)\//;

/** name → version of a composer.lock (`packages` and `packages-dev`); an unreadable lock throws, naming why. */
export function lockedVersions(lock: string | undefined): Map<string, string> {
  const versions = new Map<string, string>();
  if (lock === undefined) return versions;
  let parsed: { packages?: { name?: string; version?: string }[]; 'packages-dev'?: { name?: string; version?: string }[] };
  try {
    parsed = JSON.parse(lock);
  } catch (err) {
    throw new Error(`composer.lock is not valid JSON (${(err as Error).message})`);
  }
  for (const p of [...(parsed.packages ?? []), ...(parsed['packages-dev'] ?? [])]) {
    if (p.name && p.version) versions.set(p.name, p.version);
  }
  return versions;
}

/** The major version of `1.2.3`, `v2.0.0`; undefined for `dev-master` and other branch versions. */
export function majorOf(version: string): number | undefined {
  const m = /^v?(\d+)\./.exec(version);
  return m ? Number(m[1]) : undefined;
}

export function diffComposerLock(from: string | undefined, to: string | undefined): ComposerChange[] {
  const [a, b] = [lockedVersions(from), lockedVersions(to)];
  const changes: ComposerChange[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const [before, after] = [a.get(name), b.get(name)];
    if (before === after) continue;
    const majors = before !== undefined && after !== undefined ? [majorOf(before), majorOf(after)] : [];
    const sprykerMajor = SPRYKER_VENDORS.test(name) && majors.length === 2 && majors[0] !== majors[1];
    changes.push({ name, ...(before !== undefined && { from: before }), ...(after !== undefined && { to: after }), sprykerMajor });
  }
  return changes;
}
