/**
 * `cdk-spryker-pipeline release-diff --repo . --from <rev> --to <rev> [--json]`: what the pipeline's
 * Release_diff step shows the approver, for a pre-merge check. Runs the same facts script as the
 * pipeline's CodeBuild action. Exit 0 with the diff, 1 when it cannot be computed, 2 on usage errors.
 */
import * as path from 'path';
import { parseArgs } from 'util';
import { computeRelease, describeChange, gitFacts, summarize, toJson } from '../lib/release-diff';

export const RELEASE_DIFF_USAGE = `usage: cdk-spryker-pipeline release-diff --from <rev> --to <rev> [--repo <dir>] [--json]

  release-diff  what a release changes for a Spryker deployment: commits, schema risk (none, additive,
                breaking), deploy file, recipes, scheduler, composer.lock, frontend`;

export function releaseDiffMain(argv: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        repo: { type: 'string', default: '.' },
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${RELEASE_DIFF_USAGE}`);
    return 2;
  }
  const missing = (['from', 'to'] as const).filter((k) => !values[k]);
  if (missing.length) {
    console.error(`missing ${missing.map((k) => `--${k}`).join(' and ')}\n${RELEASE_DIFF_USAGE}`);
    return 2;
  }
  let diff;
  try {
    const repo = path.resolve(values.repo!);
    const facts = gitFacts(repo, values.from!, values.to!);
    diff = computeRelease({ ...facts, fromVersion: facts.fromHash, toVersion: facts.toHash, history: true });
  } catch (e) {
    console.error(`release-diff: ${(e as Error).message}`);
    return 1;
  }
  if (values.json) {
    console.log(JSON.stringify(toJson(diff), null, 2));
    return 0;
  }
  console.log(summarize(diff, 4000));
  for (const c of diff.breaking) console.log(`breaking: ${describeChange(c)}`);
  for (const c of diff.additive) console.log(`additive: ${describeChange(c)}`);
  for (const c of diff.commits) console.log(`commit ${c.hash.slice(0, 12)} ${c.date} ${c.author}: ${c.subject}`);
  return 0;
}
