/**
 * The cutover barrier's durable records (step table, conditional writes), shared by the hook
 * (lambda/cutover-hook.ts) and Deploy_Spryker_services (lambda/cutover/deploy-together.ts).
 * Every decision is a claim: of two writers in flight at once exactly one wins, and both then act
 * on the winner's value, so a duplicate hook invocation never answers against the other.
 */
import type { z } from 'zod';
import {
  Arrival,
  BakeFailure,
  CUTOVER_VERSION,
  CutoverRelease,
  cutoverKeys,
  Shift,
  Verdict,
} from '../../lib/contracts/cutover';
import { StepFailure, type StepRecords } from '../runtime/job';

/** While a service waits for the others, ECS calls its hook back this often (seconds). */
export const WAIT_CALLBACK_S = 5;
/**
 * The release is scheduled this far after it is decided: longer than one waiting callback, so
 * every held hook hears of it before the moment and asks to be called back exactly then. All
 * services then shift within ECS's callback precision (whole seconds), not within a polling interval.
 */
export const RELEASE_LEAD_MS = (WAIT_CALLBACK_S + 3) * 1000;
/** After a read that failed for a reason worth retrying, ECS calls back this soon (seconds). */
export const RETRY_CALLBACK_S = 5;

/** The callback delay (whole seconds, at least 1) that lands at `at`. */
export const secondsUntil = (at: number, now: number) => Math.max(1, Math.ceil((at - now) / 1000));

async function read<S extends z.ZodType>(records: StepRecords, key: string, schema: S): Promise<z.infer<S> | undefined> {
  const raw = await records.get<unknown>(key);
  if (raw === undefined) return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new StepFailure(`cutover record ${key} is not a version ${CUTOVER_VERSION} record: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The barrier's records of one release (`barrier`: the id Deploy_Spryker_services opened it with). */
export class Barrier {
  constructor(private readonly records: StepRecords, readonly release: CutoverRelease) {}

  static async current(records: StepRecords, env: string): Promise<Barrier | undefined> {
    const release = await read(records, cutoverKeys.current(env), CutoverRelease);
    return release && new Barrier(records, release);
  }

  /** The last barrier the execution opened (a retried stage opens a new one), if any. */
  static async ofExecution(records: StepRecords, executionId: string): Promise<Barrier | undefined> {
    const release = await read(records, cutoverKeys.run(executionId), CutoverRelease);
    return release && new Barrier(records, release);
  }

  /** Opens the barrier for a release (the hooks find it by environment, the report by execution). */
  static async open(records: StepRecords, env: string, release: CutoverRelease): Promise<Barrier> {
    const parsed = CutoverRelease.parse(release);
    await records.put(cutoverKeys.run(parsed.executionId), parsed);
    await records.put(cutoverKeys.current(env), parsed);
    return new Barrier(records, release);
  }

  get services(): string[] {
    return Object.keys(this.release.targets);
  }

  private get id() {
    return this.release.barrier;
  }

  verdict(): Promise<Verdict | undefined> {
    return read(this.records, cutoverKeys.verdict(this.id), Verdict);
  }

  /** Claims the verdict; returns the one that holds (ours, or the one claimed first). */
  async decide(verdict: Verdict): Promise<Verdict> {
    const claim = await this.records.claim(cutoverKeys.verdict(this.id), Verdict.parse(verdict));
    return Verdict.parse(claim.value);
  }

  async arrive(service: string, arrival: Arrival): Promise<Arrival> {
    return Arrival.parse((await this.records.claim(cutoverKeys.arrival(this.id, service), Arrival.parse(arrival))).value);
  }

  arrival(service: string): Promise<Arrival | undefined> {
    return read(this.records, cutoverKeys.arrival(this.id, service), Arrival);
  }

  async arrivals(): Promise<Map<string, Arrival>> {
    const all = await Promise.all(this.services.map(async (s) => [s, await this.arrival(s)] as const));
    return new Map(all.filter((e): e is readonly [string, Arrival] => e[1] !== undefined));
  }

  async shifted(service: string, shift: Shift): Promise<Shift> {
    return Shift.parse((await this.records.claim(cutoverKeys.shift(this.id, service), Shift.parse(shift))).value);
  }

  async shifts(): Promise<Map<string, Shift>> {
    const all = await Promise.all(this.services.map(async (s) => [s, await read(this.records, cutoverKeys.shift(this.id, s), Shift)] as const));
    return new Map(all.filter((e): e is readonly [string, Shift] => e[1] !== undefined));
  }

  bakeFailure(): Promise<BakeFailure | undefined> {
    return read(this.records, cutoverKeys.bake(this.id), BakeFailure);
  }

  async failBake(failure: BakeFailure): Promise<BakeFailure> {
    return BakeFailure.parse((await this.records.claim(cutoverKeys.bake(this.id), BakeFailure.parse(failure))).value);
  }

  /**
   * Decides when it can: a failed arrival fails the release; every service arrived and passed
   * releases it at now + RELEASE_LEAD_MS; past the deadline, the services still missing fail it.
   * Returns the verdict that holds, or undefined while services are still on their way.
   */
  async decideIfReady(now: number): Promise<Verdict | undefined> {
    const existing = await this.verdict();
    if (existing) return existing;
    const arrivals = await this.arrivals();
    const failed = [...arrivals].find(([, a]) => a.problem);
    if (failed) return this.decide({ v: CUTOVER_VERSION, verdict: 'failed', at: now, service: failed[0], reason: `its checks through the test listener failed: ${failed[1].problem}` });
    const missing = this.services.filter((s) => !arrivals.has(s));
    if (!missing.length) return this.decide({ v: CUTOVER_VERSION, verdict: 'release', at: now, releaseAt: now + RELEASE_LEAD_MS });
    if (now > this.release.deadlineAt) {
      const minutes = Math.round((this.release.deadlineAt - this.release.openedAt) / 60_000);
      return this.decide({
        v: CUTOVER_VERSION,
        verdict: 'failed',
        at: now,
        service: missing.join(', '),
        reason: `did not reach POST_TEST_TRAFFIC_SHIFT (green tasks running, test traffic on them) within ${minutes} min; ${arrivals.size}/${this.services.length} services had arrived`,
      });
    }
    return undefined;
  }
}
