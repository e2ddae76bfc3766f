/**
 * The cutover section of a run's report (lib/contracts/report.ts, docs/cutover.md), from the step
 * table only: the report step (lambda/report.ts) and the rehearsal (sim/rehearse.ts) both build it
 * here, so a rehearsal's report says what a real run's says.
 */
import type { CutoverSection } from '../../lib/contracts/report';
import type { TimelineSpan } from '../../lib/contracts/timeline';
import type { StepRecords } from '../runtime/job';
import { Barrier } from './barrier';

const spread = (times: readonly number[]) => (times.length ? Math.max(...times) - Math.min(...times) : undefined);

/**
 * `together` when the execution opened a cutover barrier (its last one: a retried stage opens a
 * new one); `rolling` when Deploy_Spryker_services rolled the services out (it marked
 * mixedVersions); otherwise undefined (no service was moved). Without `lastRolling`: that
 * comparison lives in the reports bucket, not the step table.
 */
export async function cutoverSection(records: StepRecords, executionId: string, states: readonly TimelineSpan[]): Promise<CutoverSection | undefined> {
  const barrier = await Barrier.ofExecution(records, executionId);
  if (!barrier) return states.some((s) => s.state === 'mixedVersions') ? { mode: 'rolling' } : undefined;
  const [arrivals, shifts] = await Promise.all([barrier.arrivals(), barrier.shifts()]);
  const shiftSpreadMs = spread([...shifts.values()].map((s) => s.at));
  // What rolling would have mixed needs every service ready: a partial spread says little.
  const arrivalSpreadMs = arrivals.size === barrier.services.length ? spread([...arrivals.values()].map((a) => a.at)) : undefined;
  return {
    mode: 'together',
    services: barrier.services.length,
    arrived: arrivals.size,
    shifted: shifts.size,
    ...(shiftSpreadMs !== undefined ? { shiftSpreadMs } : {}),
    ...(arrivalSpreadMs !== undefined ? { arrivalSpreadMs } : {}),
  };
}
