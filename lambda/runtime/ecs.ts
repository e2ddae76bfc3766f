/** ECS reads shared by the handlers: services by name, stopped tasks explained. */
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  type ECSClient,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { arnId } from './arn';
import { StepFailure } from './job';
import { read } from './poll';

/** DescribeServices takes at most 10 services per call. */
const DESCRIBE_SERVICES_MAX = 10;

/**
 * Describes services by name. Every service must exist and be ACTIVE: all missing ones are
 * named in one ConfigurationError, before the step changes anything.
 */
export async function describeServices(ecs: ECSClient, cluster: string, names: string[]): Promise<Map<string, Service>> {
  const found = new Map<string, Service>();
  for (let i = 0; i < names.length; i += DESCRIBE_SERVICES_MAX) {
    const batch = names.slice(i, i + DESCRIBE_SERVICES_MAX);
    const out = await read(
      `ECS DescribeServices (${batch.join(', ')}) in cluster ${cluster}`,
      ecs.send(new DescribeServicesCommand({ cluster, services: batch })),
    );
    for (const s of out.services ?? []) if (s.status === 'ACTIVE' && s.serviceName) found.set(s.serviceName, s);
  }
  const missing = names.filter((n) => !found.has(n));
  if (missing.length) {
    throw new StepFailure(
      `ECS service(s) ${missing.join(', ')} not found (or not ACTIVE) in cluster ${cluster}: create them, or fix the service names in the pipeline's props`,
      'ConfigurationError',
    );
  }
  return found;
}

/** One line per stopped task: why it stopped and how its containers ended. */
export function describeStoppedTask(task: Task): string {
  // The containers that failed first: a sidecar's exit 0 is the least of the news.
  const containers = (task.containers ?? [])
    .filter((c) => c.exitCode !== undefined || c.reason)
    .sort((a, b) => Number(a.exitCode === 0) - Number(b.exitCode === 0))
    .map((c) => `container ${c.name} ${c.exitCode !== undefined ? `exit code ${c.exitCode}` : 'no exit code'}${c.reason ? ` (${c.reason})` : ''}`);
  return [`task ${arnId(task.taskArn)}: ${task.stopCode ?? 'stopped'}: ${task.stoppedReason ?? 'no reason given'}`, ...containers].join('; ');
}

/** The stopped tasks started by `startedBy` (a deployment id): at most `upTo` ARNs (one ListTasks page of 100 each). */
export async function stoppedTasks(ecs: ECSClient, cluster: string, startedBy: string, upTo = 100): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await read(
      `ECS ListTasks (stopped, started by ${startedBy}) in cluster ${cluster}`,
      ecs.send(new ListTasksCommand({ cluster, startedBy, desiredStatus: 'STOPPED', maxResults: 100, nextToken })),
    );
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken && arns.length < upTo);
  return arns.slice(0, upTo);
}

/** Why the latest stopped tasks started by `startedBy` (a deployment id) stopped: a few lines. */
export async function stoppedTaskReasons(ecs: ECSClient, cluster: string, startedBy: string, max = 3): Promise<string[]> {
  const arns = await stoppedTasks(ecs, cluster, startedBy, max * 3);
  if (!arns.length) return [];
  const out = await read(`ECS DescribeTasks in cluster ${cluster}`, ecs.send(new DescribeTasksCommand({ cluster, tasks: arns })));
  return (out.tasks ?? [])
    .sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0))
    .slice(0, max)
    .map(describeStoppedTask);
}
