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
    return [`last ${events.length} log lines of ${group} ${stream}:`, ...events.map((e) => redact((e.message ?? '').trimEnd()))].join('\n');
  } catch (err) {
    const e = err as { name?: string; message?: string };
    return e.name === 'ResourceNotFoundException'
      ? `(no log stream ${group} ${stream}: the container never started)`
      : `(could not read log stream ${group} ${stream}: ${e.name}: ${e.message})`;
  }
}

const MASK = '***';
const SECRET_KEY = String.raw`[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)[\w.-]*`;

/** Well-known secret shapes, each with what to keep of the match. */
const SECRETS: readonly [RegExp, string][] = [
  // A URL or DSN with a password (up to the last @: passwords may contain one).
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)\S+@/gi, `$1${MASK}@`],
  // key=value, key: value, "key": "value" (JSON), --key=value, for password, secret, token, api key, ...
  [new RegExp(String.raw`(["']?${SECRET_KEY}["']?\s*[=:]\s*["']?)[^\s"',;&}]+`, 'gi'), `$1${MASK}`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${MASK}`],
  // AWS access key ids, and a secret access key's shape (40 characters of mixed case and digits; not a hex commit hash).
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, `$1${MASK}`],
  [/(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+=]*[A-Z])(?=[A-Za-z0-9/+=]*[a-z])(?=[A-Za-z0-9/+=]*\d)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/g, MASK],
  // Tokens with a recognisable prefix: GitHub, GitLab, Slack, JWTs.
  [/\b(gh[pousr]_|glpat-|xox[abprs]-)[A-Za-z0-9_-]{10,}/g, `$1${MASK}`],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, MASK],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----.*/g, `-----BEGIN PRIVATE KEY----- ${MASK}`],
];

/**
 * A log line with well-known secret shapes masked: the tail is quoted in failure messages, which
 * reach the console, SNS and chat (issue 12). Best effort: it cannot know every secret.
 */
export function redact(line: string): string {
  return SECRETS.reduce((text, [pattern, keep]) => text.replace(pattern, keep), line);
}
