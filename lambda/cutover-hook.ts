/**
 * The cutover barrier's lifecycle hook (issue 17; docs/cutover.md). ECS invokes it, not
 * CodePipeline, for every application service's blue/green deployment:
 * - POST_TEST_TRAFFIC_SHIFT (green tasks run and receive the test listener's traffic): runs the
 *   service's checks through the test listener, records the arrival, and holds the service
 *   (IN_PROGRESS, called back every few seconds) until every service of the release has arrived
 *   and passed; then every hook answers SUCCEEDED at one scheduled moment, so production traffic
 *   of all services shifts within seconds. A failure before the shift: every hook answers FAILED.
 * - POST_PRODUCTION_TRAFFIC_SHIFT: records the shift and checks again; a failure rolls every
 *   service back (this one by FAILED, the others by Deploy_Spryker_services, blue still running).
 *
 * Anyone allowed to invoke the function could send an event: nothing in it is trusted. The
 * deployment must exist (DescribeServiceDeployments), belong to one of the environment's
 * application services, be IN_PROGRESS in the very stage the event names, and deploy the
 * release the barrier is open for (DescribeServiceRevisions); otherwise the hook answers FAILED
 * and changes nothing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeServiceDeploymentsCommand, DescribeServiceRevisionsCommand, ECSClient, type ServiceDeployment } from '@aws-sdk/client-ecs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CUTOVER_HOOK_STAGES, CUTOVER_VERSION, CutoverConfig, HookEvent, type HookAnswer } from '../lib/contracts/cutover';
import { Barrier, RETRY_CALLBACK_S, secondsUntil, WAIT_CALLBACK_S } from './cutover/barrier';
import { call, describeError, type ClientConfig } from './runtime/job';
import { loadModel } from './runtime/load-model';
import type { DeploymentModel } from './runtime/model';
import { isTransient } from './runtime/poll';
import { StepTable } from './runtime/records';
import { describeProblems, warmUp } from './warm-up';

export interface HookDeps {
  /** @default {} (the Lambda's region and credentials) */
  readonly clientConfig?: ClientConfig;
  readonly now?: () => number;
  /** @default process.env.STEP_TABLE */
  readonly table?: string;
  /** SSM parameter of the CutoverConfig. @default process.env.CUTOVER_CONFIG */
  readonly config?: string;
}

const FAILED: HookAnswer = { hookStatus: 'FAILED' };
const SUCCEEDED: HookAnswer = { hookStatus: 'SUCCEEDED' };
const wait = (seconds: number): HookAnswer => ({ hookStatus: 'IN_PROGRESS', callBackDelay: seconds });

function log(level: 'INFO' | 'WARN' | 'ERROR', fields: Record<string, unknown>): void {
  (level === 'ERROR' ? console.error : level === 'WARN' ? console.warn : console.log)(JSON.stringify({ level, step: 'cutover-hook', ...fields }));
}

/** Time kept back from the hook's run for recording and answering. */
const ANSWER_MARGIN_MS = 5_000;

export function defineHook(deps: HookDeps = {}) {
  const clientConfig = deps.clientConfig ?? {};
  const ecs = new ECSClient(clientConfig);
  const ssm = new SSMClient(clientConfig);
  const dynamodb = new DynamoDBClient(clientConfig);
  const now = deps.now ?? Date.now;
  return async (event: unknown, context?: { getRemainingTimeInMillis(): number }): Promise<HookAnswer> => {
    const parsed = HookEvent.safeParse(event);
    if (!parsed.success) {
      log('WARN', { refused: 'not an ECS lifecycle-hook event', issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).slice(0, 10) });
      return FAILED;
    }
    const e = parsed.data;
    const where = { deployment: e.resourceArn, stage: e.lifecycleStage, executionId: e.executionId };
    if (!(CUTOVER_HOOK_STAGES as readonly string[]).includes(e.lifecycleStage)) {
      log('WARN', { ...where, note: `the barrier holds only at ${CUTOVER_HOOK_STAGES.join(' and ')}: nothing to do at this stage` });
      return SUCCEEDED;
    }
    const table = deps.table ?? process.env.STEP_TABLE;
    const configName = deps.config ?? process.env.CUTOVER_CONFIG;
    if (!table || !configName) {
      log('ERROR', { ...where, refused: 'runtime not configured', missing: [!table && 'STEP_TABLE', !configName && 'CUTOVER_CONFIG'].filter(Boolean) });
      return FAILED;
    }
    try {
      const config = await loadConfig(ssm, configName);
      const model = await loadModel(ssm, config.model, now());
      const deployment = await corroborate(ecs, model, e);
      if (typeof deployment === 'string') {
        log('WARN', { ...where, refused: deployment, note: 'nothing recorded' });
        return FAILED;
      }
      const records = new StepTable(dynamodb, table, now, call).records();
      const barrier = await Barrier.current(records, model.env);
      const service = deployment.service;
      const target = barrier?.release.targets[service];
      if (!barrier || !target) {
        log('WARN', { ...where, service, refused: `no release of ${model.env} is being cut over with ${service}: only Deploy_Spryker_services deploys these services (docs/cutover.md)` });
        return FAILED;
      }
      const taskDefinition = await revisionTaskDefinition(ecs, e.executionDetails.targetServiceRevisionArn);
      if (taskDefinition !== target) {
        log('WARN', { ...where, service, refused: `the deployment's task definition ${taskDefinition} is not the release's ${target}` });
        return FAILED;
      }
      const budget = () => (context?.getRemainingTimeInMillis() ?? 60_000) - ANSWER_MARGIN_MS;
      const answer =
        e.lifecycleStage === 'POST_TEST_TRAFFIC_SHIFT'
          ? await hold(barrier, service, e.resourceArn, config, now, budget)
          : await afterShift(barrier, service, e.resourceArn, config, now, budget);
      log('INFO', { ...where, service, barrier: barrier.release.barrier, answer });
      return answer;
    } catch (err) {
      // After corroboration a FAILED could roll one service back while the others shift: ask to be called again.
      const { message } = describeError(err);
      log(isTransient(err) ? 'WARN' : 'ERROR', { ...where, error: message, answer: `IN_PROGRESS, again in ${RETRY_CALLBACK_S} s` });
      return wait(RETRY_CALLBACK_S);
    }
  };
}

export const handler = defineHook();

async function loadConfig(ssm: SSMClient, name: string): Promise<CutoverConfig> {
  const out = await call(`SSM GetParameter ${name}`, ssm.send(new GetParameterCommand({ Name: name })));
  let raw: unknown;
  try {
    raw = JSON.parse(out.Parameter?.Value ?? '');
  } catch {
    raw = undefined;
  }
  const parsed = CutoverConfig.safeParse(raw);
  if (!parsed.success) throw new Error(`cutover configuration ${name} is not a version ${CUTOVER_VERSION} configuration: redeploy the pipeline stack`);
  return parsed.data;
}

/** The deployment as ECS describes it, or why the event does not match it. */
async function corroborate(ecs: ECSClient, model: DeploymentModel, e: HookEvent): Promise<{ service: string; deployment: ServiceDeployment } | string> {
  const out = await call(
    `ECS DescribeServiceDeployments ${e.resourceArn}`,
    ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [e.resourceArn] })),
  );
  const d = out.serviceDeployments?.find((x) => x.serviceDeploymentArn === e.resourceArn);
  if (!d) return `ECS knows no service deployment ${e.resourceArn}`;
  const service = d.serviceArn?.split('/').pop() ?? '';
  if (!d.clusterArn?.endsWith(`:cluster/${model.cluster}`)) return `the deployment is in cluster ${d.clusterArn}, not ${model.env}'s ${model.cluster}`;
  if (!model.services.some((s) => s.service === service)) return `${service} is not an application service of ${model.env}`;
  if (d.serviceArn !== e.executionDetails.serviceArn) return `the event names service ${e.executionDetails.serviceArn}, the deployment is of ${d.serviceArn}`;
  if (d.targetServiceRevision?.arn !== e.executionDetails.targetServiceRevisionArn) return `the event names revision ${e.executionDetails.targetServiceRevisionArn}, the deployment deploys ${d.targetServiceRevision?.arn}`;
  if (d.status !== 'IN_PROGRESS') return `the deployment is ${d.status}, not IN_PROGRESS`;
  if (d.lifecycleStage !== e.lifecycleStage) return `the deployment is at ${d.lifecycleStage}, not ${e.lifecycleStage}`;
  return { service, deployment: d };
}

async function revisionTaskDefinition(ecs: ECSClient, revision: string): Promise<string | undefined> {
  const out = await call(`ECS DescribeServiceRevisions ${revision}`, ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [revision] })));
  return out.serviceRevisions?.[0]?.taskDefinition;
}

/** The service's pages through the test listener; undefined when they pass (or it has none). */
async function check(config: CutoverConfig, service: string, budget: () => number): Promise<string | undefined> {
  const urls = config.checks[service] ?? [];
  if (!urls.length) return undefined;
  const started = Date.now();
  const results = await warmUp({ v: 1, urls, concurrency: config.concurrency, timeoutMs: config.timeoutMs, ttfbMs: config.ttfbMs, onProblem: 'fail' }, () => budget() - (Date.now() - started));
  return results.some((r) => r.problem) ? describeProblems(results) : undefined;
}

function answerFor(verdict: Awaited<ReturnType<Barrier['verdict']>>, now: number): HookAnswer {
  if (!verdict) return wait(WAIT_CALLBACK_S);
  if (verdict.verdict === 'failed') return FAILED;
  return now >= verdict.releaseAt ? SUCCEEDED : wait(secondsUntil(verdict.releaseAt, now));
}

/** POST_TEST_TRAFFIC_SHIFT: arrive once (checks, then the claim), then wait for the barrier's verdict. */
async function hold(barrier: Barrier, service: string, deployment: string, config: CutoverConfig, now: () => number, budget: () => number): Promise<HookAnswer> {
  const decided = await barrier.verdict();
  if (decided) return answerFor(decided, now());
  if (!(await barrier.arrival(service))) {
    const problem = await check(config, service, budget);
    const arrival = await barrier.arrive(service, { v: CUTOVER_VERSION, at: now(), deployment, ...(problem ? { problem } : {}) });
    log(arrival.problem ? 'WARN' : 'INFO', { service, arrived: arrival });
  }
  return answerFor(await barrier.decideIfReady(now()), now());
}

/** POST_PRODUCTION_TRAFFIC_SHIFT: the shift's time, and a check under production traffic. */
async function afterShift(barrier: Barrier, service: string, deployment: string, config: CutoverConfig, now: () => number, budget: () => number): Promise<HookAnswer> {
  const verdict = await barrier.verdict();
  if (verdict?.verdict !== 'release') return FAILED;
  await barrier.shifted(service, { v: CUTOVER_VERSION, at: now(), deployment });
  if (await barrier.bakeFailure()) return FAILED;
  const problem = await check(config, service, budget);
  if (!problem) return SUCCEEDED;
  const failure = await barrier.failBake({ v: CUTOVER_VERSION, at: now(), service, reason: `its checks failed after the production shift: ${problem}` });
  log('WARN', { service, bakeFailure: failure });
  return FAILED;
}
