/** A task's last log lines (its own module: only run-hook loads the CloudWatch Logs client). */
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { arnId } from './arn';

/**
 * The last lines a container wrote through the awslogs driver (stream `prefix/container/taskId`),
 * or a sentence saying why there are none. Never throws: it only decorates a failure.
 */
export async function logTail(logs: CloudWatchLogsClient, container: ContainerDefinition, taskArn: string, lines = 30): Promise<string> {
  const options = container.logConfiguration?.options ?? {};
  const group = options['awslogs-group'];
  const prefix = options['awslogs-stream-prefix'];
  if (container.logConfiguration?.logDriver !== 'awslogs' || !group || !prefix) {
    return `(no log lines: container ${container.name} does not log through awslogs with a stream prefix)`;
  }
  const stream = `${prefix}/${container.name}/${arnId(taskArn)}`;
  try {
    const out = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, limit: lines, startFromHead: false }));
    const events = out.events ?? [];
    if (!events.length) return `(log stream ${group} ${stream} is empty)`;
    return [`last ${events.length} log lines of ${group} ${stream}:`, ...events.map((e) => (e.message ?? '').trimEnd())].join('\n');
  } catch (err) {
    const e = err as { name?: string; message?: string };
    return e.name === 'ResourceNotFoundException'
      ? `(no log stream ${group} ${stream}: the container never started)`
      : `(could not read log stream ${group} ${stream}: ${e.name}: ${e.message})`;
  }
}
