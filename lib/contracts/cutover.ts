/**
 * The whole-shop cutover (issue 17): every application service deploys with ECS's native
 * blue/green strategy, and a lifecycle hook holds each one after its green tasks receive test
 * traffic until every service of the release has arrived and passed its checks; then all shift
 * production traffic together. Shared by the stack (the hook's configuration), the hook handler
 * (lambda/cutover-hook.ts) and the deploy handler (lambda/cutover/); imports nothing but zod.
 *
 * ECS's side, as documented (Amazon ECS Developer Guide, "Lifecycle hooks for Amazon ECS service
 * deployments" and "Lambda hooks"; API reference DeploymentLifecycleHook, ServiceDeployment):
 * ECS invokes the hook Lambda with {executionId, lifecycleStage, resourceArn (the service
 * deployment), executionDetails {serviceArn, targetServiceRevisionArn, ...}, hookDetails?}; the
 * function answers {hookStatus: SUCCEEDED | FAILED | IN_PROGRESS, callBackDelay? (seconds,
 * default 30)}; an answer without a valid hookStatus, or an error, rolls the deployment back.
 */
import * as z from 'zod';

export const CUTOVER_VERSION = 1;

/** The stages the hook is registered for: the barrier, and the check after the production shift. */
export const CUTOVER_HOOK_STAGES = ['POST_TEST_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT'] as const;
export type CutoverHookStage = (typeof CUTOVER_HOOK_STAGES)[number];

/** The stages ECS documents for a hook (DeploymentLifecycleHook.lifecycleStages). */
export const LIFECYCLE_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
] as const;

/** The invocation ECS sends. Nothing in it is trusted until DescribeServiceDeployments confirms it. */
export const HookEvent = z.object({
  executionId: z.string().min(1).max(200),
  lifecycleStage: z.enum(LIFECYCLE_STAGES),
  resourceArn: z.string().regex(/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service-deployment\/[^/]+\/[^/]+\/[^/]+$/, 'an ECS service-deployment ARN'),
  executionDetails: z.object({
    serviceArn: z.string().min(1),
    targetServiceRevisionArn: z.string().min(1),
  }),
});
export type HookEvent = z.infer<typeof HookEvent>;

export type HookAnswer =
  | { readonly hookStatus: 'SUCCEEDED' | 'FAILED' }
  | { readonly hookStatus: 'IN_PROGRESS'; readonly callBackDelay: number };

/** What the stack writes to `/{env}/pipeline/cutover` for the hook. */
export const CutoverConfig = z.object({
  v: z.literal(CUTOVER_VERSION),
  /** SSM parameter of the deployment model (cluster, services). */
  model: z.string().min(1),
  /** ECS service name → pages requested through the test listener (warm-up and smoke check). */
  checks: z.record(z.string(), z.array(z.string())),
  concurrency: z.number().int().min(1),
  timeoutMs: z.number().int().min(1),
  ttfbMs: z.number().int().min(1),
});
export type CutoverConfig = z.infer<typeof CutoverConfig>;

/**
 * The release the barrier is open for: written by Deploy_Spryker_services before its first
 * UpdateService, read by every hook invocation. Key: `cutoverKeys.current(env)`.
 */
export const CutoverRelease = z.object({
  v: z.literal(CUTOVER_VERSION),
  /** The records' id: the first job of the Deploy_Spryker_services action (a retried stage opens a new barrier). */
  barrier: z.string().min(1),
  executionId: z.string().min(1),
  version: z.string(),
  /** ECS service name → the release's task definition ARN. */
  targets: z.record(z.string(), z.string()),
  openedAt: z.number().int(),
  deadlineAt: z.number().int(),
});
export type CutoverRelease = z.infer<typeof CutoverRelease>;

/** A service reached POST_TEST_TRAFFIC_SHIFT and its checks ran (a claim: the first result stays). */
export const Arrival = z.object({
  v: z.literal(CUTOVER_VERSION),
  at: z.number().int(),
  deployment: z.string(),
  /** Absent: the checks passed. */
  problem: z.string().optional(),
});
export type Arrival = z.infer<typeof Arrival>;

/**
 * The barrier's one decision, a claim: either every service is released at `releaseAt`, or the
 * release failed before any service shifted. Whichever is claimed first holds.
 */
export const Verdict = z.discriminatedUnion('verdict', [
  z.object({ v: z.literal(CUTOVER_VERSION), verdict: z.literal('release'), at: z.number().int(), releaseAt: z.number().int() }),
  z.object({ v: z.literal(CUTOVER_VERSION), verdict: z.literal('failed'), at: z.number().int(), service: z.string(), reason: z.string() }),
]);
export type Verdict = z.infer<typeof Verdict>;

/** A service's production traffic shifted (the POST_PRODUCTION_TRAFFIC_SHIFT hook's first call). */
export const Shift = z.object({ v: z.literal(CUTOVER_VERSION), at: z.number().int(), deployment: z.string() });
export type Shift = z.infer<typeof Shift>;

/** After the shift: the first failure (a check, an alarm, a rollback) that rolls every service back. */
export const BakeFailure = z.object({ v: z.literal(CUTOVER_VERSION), at: z.number().int(), service: z.string(), reason: z.string() });
export type BakeFailure = z.infer<typeof BakeFailure>;

/** Step-table record keys (under the runtime's `record#`). */
export const cutoverKeys = {
  current: (env: string) => `cutover#${env}#current`,
  /** The last barrier a pipeline execution opened (the report step's way to its records). */
  run: (executionId: string) => `cutover#run#${executionId}`,
  arrival: (barrier: string, service: string) => `cutover#${barrier}#arrived#${service}`,
  verdict: (barrier: string) => `cutover#${barrier}#verdict`,
  shift: (barrier: string, service: string) => `cutover#${barrier}#shifted#${service}`,
  bake: (barrier: string) => `cutover#${barrier}#bake`,
};
