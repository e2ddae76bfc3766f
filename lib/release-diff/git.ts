/**
 * The git side of a release diff. One bash script gathers the facts (direction, commits, changed
 * files, and the contents the diff reads at both versions) into a folder: CodeBuild runs it in
 * the pipeline (only CodeBuild can read a full-clone source artifact), the CLI runs it locally.
 * `readFacts` reads that folder back, as files or as the CodeBuild output artifact's zip entries.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CONTENT_GROUPS, GROUP_PATTERNS } from './groups';
import type { Commit, FileChange, FileStatus, ReleaseDiff } from './types';

const FIELD = '\x1f';
const RECORD = '\x1e';
/** hash, author, author date (ISO 8601), subject. */
export const LOG_FORMAT = '%H%x1f%an <%ae>%x1f%aI%x1f%s%x1e';

/** The content groups' path patterns as one POSIX extended regular expression (grep -E). */
export function contentPathsRegex(): string {
  return CONTENT_GROUPS.map((g) => `(${GROUP_PATTERNS[g].source.replace(/\\\//g, '/')})`).join('|');
}

/**
 * The facts script. Environment: FROM (the deployed commit, or `none`), TO (the commit to
 * deploy), OUT (an empty folder). Run in the repository. Exit 3: a version is not in the history.
 */
export function factsScript(): string {
  return `set -euo pipefail
mkdir -p "$OUT/from" "$OUT/to"
if [ "$FROM" = none ]; then echo first > "$OUT/direction"; exit 0; fi
if [ "$FROM" = "$TO" ]; then echo same > "$OUT/direction"; exit 0; fi
for rev in "$FROM" "$TO"; do
  # A full clone holds the branch's history; a commit of another branch is fetched.
  git cat-file -e "$rev^{commit}" 2>/dev/null || git fetch --quiet origin "$rev" 2>/dev/null || true
  git cat-file -e "$rev^{commit}" 2>/dev/null || { echo "release-diff: commit $rev is not in the repository's history" >&2; exit 3; }
done
if git merge-base --is-ancestor "$TO" "$FROM"; then direction=rollback; range="$TO..$FROM"; else direction=forward; range="$FROM..$TO"; fi
echo "$direction" > "$OUT/direction"
git log --no-color --format='${LOG_FORMAT}' "$range" > "$OUT/commits"
git diff --no-color --no-renames --name-status -z "$FROM" "$TO" > "$OUT/changes"
git diff --no-renames --name-only -z "$FROM" "$TO" | { grep -zE '${contentPathsRegex()}' || true; } | while IFS= read -r -d '' p; do
  for side in from to; do
    if [ "$side" = from ]; then rev="$FROM"; else rev="$TO"; fi
    if git cat-file -e "$rev:$p" 2>/dev/null; then mkdir -p "$OUT/$side/$(dirname "$p")"; git show "$rev:$p" > "$OUT/$side/$p"; fi
  done
done
`;
}

export function parseLog(text: string): Commit[] {
  return text
    .split(RECORD)
    .map((r) => r.replace(/^\n/, ''))
    .filter((r) => r.length)
    .map((r) => {
      const [hash, author, date, subject] = r.split(FIELD);
      return { hash, author, date, subject: subject ?? '' };
    });
}

const STATUS: Record<string, FileStatus> = { A: 'added', M: 'modified', D: 'deleted', T: 'modified' };

/** `git diff --name-status -z --no-renames` output. */
export function parseNameStatus(text: string): FileChange[] {
  const parts = text.split('\0');
  const changes: FileChange[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) changes.push({ path: parts[i + 1], status: STATUS[parts[i][0]] ?? 'modified' });
  return changes;
}

export interface ReleaseFacts {
  readonly direction: ReleaseDiff['direction'];
  readonly commits: Commit[];
  readonly changes: FileChange[];
  /** Contents at the deployed version and at the version to deploy, of the files the diff reads. */
  readonly from: Map<string, Uint8Array>;
  readonly to: Map<string, Uint8Array>;
}

/** The facts folder's files (relative path → content). */
export function readFacts(files: ReadonlyMap<string, Uint8Array>): ReleaseFacts {
  const text = (name: string) => utf8(files.get(name));
  const direction = text('direction')?.trim();
  if (direction !== 'forward' && direction !== 'rollback' && direction !== 'first' && direction !== 'same') {
    throw new Error(`release facts: 'direction' is ${JSON.stringify(direction)}, expected forward, rollback, first or same (did the facts script run?)`);
  }
  const side = (prefix: string) => new Map([...files].filter(([p]) => p.startsWith(prefix)).map(([p, c]) => [p.slice(prefix.length), c]));
  return {
    direction,
    commits: parseLog(text('commits') ?? ''),
    changes: parseNameStatus(text('changes') ?? ''),
    from: side('from/'),
    to: side('to/'),
  };
}

function listFiles(dir: string, base = dir, out = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) listFiles(full, base, out);
    else out.set(path.relative(base, full).split(path.sep).join('/'), fs.readFileSync(full));
  }
  return out;
}

/** Runs the facts script in a local repository (the CLI). Revisions may be any git revision; they are resolved to hashes. */
export function gitFacts(repo: string, from: string, to: string): ReleaseFacts & { fromHash: string; toHash: string } {
  const resolve = (rev: string) => {
    try {
      return execFileSync('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch {
      throw new Error(`'${rev}' is not a commit in ${repo}`);
    }
  };
  const [fromHash, toHash] = [resolve(from), resolve(to)];
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'release-diff-'));
  try {
    execFileSync('bash', ['-c', factsScript()], { cwd: repo, env: { ...process.env, FROM: fromHash, TO: toHash, OUT: out }, stdio: ['ignore', 'ignore', 'pipe'] });
    return { ...readFacts(listFiles(out)), fromHash, toHash };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** A file's content as text (the public types say Uint8Array: no Node.js types in the package's .d.ts). */
export const utf8 = (content: Uint8Array | undefined): string | undefined => (content === undefined ? undefined : Buffer.from(content).toString('utf8'));
