/**
 * Marks and reads the states timeline (lib/contracts/timeline.ts) in the step table. A mark is a
 * claim: the first recorded time of an edge stays, so duplicates and retries cannot move it.
 */
import { TIMELINE_STATES, TIMELINE_VERSION, TimelineMark, timelineKey, type TimelineEdge, type TimelineSpan, type TimelineState } from '../../lib/contracts/timeline';
import type { StepRecords } from './records';
import { StepFailure } from './job';

/** Timeline marks live as long as the report may be rewritten: 30 days. */
export const TIMELINE_TTL_SECONDS = 30 * 24 * 3600;

export interface MarkInput {
  readonly state: TimelineState;
  readonly edge: TimelineEdge;
  /** Epoch milliseconds of the event itself. */
  readonly at: number;
  readonly by: string;
  readonly note?: string;
}

/** Records one edge unless it is already recorded; returns the recorded time (the first one). */
export async function markTimeline(records: StepRecords, executionId: string, input: MarkInput): Promise<number> {
  const value: TimelineMark = TimelineMark.parse({ v: TIMELINE_VERSION, at: Math.round(input.at), by: input.by, ...(input.note ? { note: input.note.slice(0, 200) } : {}) });
  const claim = await records.claim(timelineKey(executionId, input.state, input.edge), value, { ttlSeconds: TIMELINE_TTL_SECONDS });
  return claim.value.at;
}

/** Every state of the execution that has started, in TIMELINE_STATES order. */
export async function readTimeline(records: StepRecords, executionId: string): Promise<TimelineSpan[]> {
  const read = async (state: TimelineState, edge: TimelineEdge) => {
    const raw = await records.get<unknown>(timelineKey(executionId, state, edge));
    if (raw === undefined) return undefined;
    const parsed = TimelineMark.safeParse(raw);
    if (!parsed.success) {
      throw new StepFailure(`timeline mark ${state}/${edge} of execution ${executionId} is not a version ${TIMELINE_VERSION} mark: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(mark)'}: ${i.message}`).join('; ')}`, 'JobFailed');
    }
    return parsed.data;
  };
  const spans = await Promise.all(
    TIMELINE_STATES.map(async (state): Promise<TimelineSpan | undefined> => {
      const [start, end] = await Promise.all([read(state, 'start'), read(state, 'end')]);
      if (!start) return undefined;
      return { state, startMs: start.at, ...(end ? { endMs: end.at } : {}), ...(start.note ? { startNote: start.note } : {}), ...(end?.note ? { endNote: end.note } : {}) };
    }),
  );
  return spans.filter((s): s is TimelineSpan => s !== undefined);
}

/**
 * Records several edges; never throws. The timeline is what the report shows, never a reason to
 * fail a deployment step: a mark that cannot be written is logged and the step goes on.
 */
export async function markAll(records: StepRecords, executionId: string, marks: readonly MarkInput[]): Promise<void> {
  for (const mark of marks) {
    try {
      await markTimeline(records, executionId, mark);
    } catch (err) {
      console.warn(JSON.stringify({ level: 'WARN', timeline: `${mark.state}/${mark.edge}`, executionId, error: (err as Error).message, note: 'the report will miss this edge' }));
    }
  }
}
