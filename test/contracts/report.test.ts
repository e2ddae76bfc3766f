/** The deployment report contract: windows from the timeline, and the schema refusing what no reader understands. */
import { computeWindows, DeploymentReport } from '../../lib/contracts/report';

test('computeWindows: closed states last end - start; an open state counts until the report end', () => {
  expect(computeWindows([{ state: 'maintenance', startMs: 10, endMs: 50 }, { state: 'mixedVersions', startMs: 20 }], 100)).toEqual({ maintenance: 40, mixedVersions: 80 });
});

test('the report schema names the field of every problem at once', () => {
  const result = DeploymentReport.safeParse({ v: 2, pipeline: 'p', executionId: '', outcome: 'Succeeded', startMs: 0, endMs: 1, stages: [{ name: 'Source', startMs: 0, endMs: 1, outcome: 'Done' }], states: [], windows: { bogus: 1 } });
  expect(result.success).toBe(false);
  const paths = result.error!.issues.map((i) => i.path.join('.')).sort();
  // zod names an unknown window either by the record or by its key, depending on the version.
  expect(paths.slice(0, 3)).toEqual(['executionId', 'stages.0.outcome', 'v']);
  expect(paths.slice(3)).toEqual([expect.stringMatching(/^windows(\.bogus)?$/)]);
});
