/**
 * Validation of the safety windows' props (issue 16): syncCatchUp, bake, deploymentWindow. Each
 * problem names the prop and the fix; tokens are left to CloudFormation.
 */
import { Token, type Duration } from 'aws-cdk-lib';
import { QueuePattern } from '../contracts/sync-catch-up';
import type { SprykerPipelineProps } from './types';

/** A CodePipeline stage condition holds at most 5 rules (API reference, Condition.rules). */
export const MAX_BAKE_ALARMS = 5;
/** Our bounds (CodePipeline documents none): a bake longer than 3 hours holds the queue of executions behind it. */
export const MAX_BAKE_MINUTES = 180;

/**
 * The fields of CodePipeline's DeploymentWindow cron (rule reference: seconds `*`, minutes 0-59,
 * hours 0-23, day-of-month 1-31 with `, - * ? / L W`, month 1-12 or JAN-DEC, day-of-week 1-7 or
 * SUN-SAT with `, - * ? / L #`, an optional year 1970-2199): the characters each field allows,
 * and the range of its numbers.
 */
const CRON_FIELDS: readonly { name: string; chars: RegExp; range?: [number, number] }[] = [
  { name: 'seconds', chars: /^(\*|0)$/ },
  { name: 'minutes', chars: /^[\d,*/-]+$/, range: [0, 59] },
  { name: 'hours', chars: /^[\d,*/-]+$/, range: [0, 23] },
  { name: 'day-of-month', chars: /^([\d,*?/LW-]+)$/, range: [1, 31] },
  { name: 'month', chars: /^([\d,*/-]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)+$/i, range: [1, 12] },
  { name: 'day-of-week', chars: /^([\d,*?/L#-]|SUN|MON|TUE|WED|THU|FRI|SAT)+$/i, range: [1, 7] },
  { name: 'year', chars: /^[\d,*/-]+$/, range: [1970, 2199] },
];

/** The problems of a DeploymentWindow cron, or none. */
export function cronProblems(cron: string): string[] {
  const fields = cron.trim().split(/\s+/);
  if (fields.length < 6 || fields.length > 7) {
    return [`'${cron}' has ${fields.length} fields: CodePipeline's cron has 6 and an optional year (seconds minutes hours day-of-month month day-of-week [year]), e.g. '* * 8-16 ? * MON-THU *'`];
  }
  const problems: string[] = [];
  fields.forEach((field, i) => {
    const spec = CRON_FIELDS[i];
    if (!spec.chars.test(field)) {
      problems.push(`${spec.name} '${field}' is not allowed${spec.name === 'seconds' ? ": the seconds field is '*' (or 0)" : ''}`);
      return;
    }
    // Numbers after '/' are steps and after '#' the nth weekday, not values of the field.
    const values = field.replace(/[/#]\d+/g, '').match(/\d+/g) ?? [];
    const [min, max] = spec.range ?? [0, 59];
    const outside = values.map(Number).filter((n) => n < min || n > max);
    if (outside.length) problems.push(`${spec.name} '${field}': ${outside.join(', ')} outside ${min}-${max}`);
  });
  // The rule's cron is Quartz's: one of the two day fields must be '?'.
  if (fields[3] !== '?' && fields[5] !== '?') {
    problems.push(`day-of-month '${fields[3]}' and day-of-week '${fields[5]}' are both set: use '?' in one of them (e.g. '? * MON-FRI')`);
  }
  return problems;
}

/** The time-zone formats of the DeploymentWindow rule: Region/City, UTC with an optional offset, or a 3-5 letter abbreviation. */
export function timeZoneProblem(zone: string): string | undefined {
  if (/^UTC([+-]([01]\d|2[0-3]):[0-5]\d)?$/.test(zone) || /^[A-Z]{3,5}$/.test(zone)) return undefined;
  if (/^[A-Za-z]+(\/[A-Za-z0-9_+-]+)+$/.test(zone)) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return undefined;
    } catch {
      return `'${zone}' is not a time zone this Node.js knows (IANA Region/City, e.g. Europe/Berlin)`;
    }
  }
  return `'${zone}' is not a time zone: use Region/City (Europe/Berlin), UTC or UTC+01:00, or an abbreviation such as CET`;
}

const concrete = (d: Duration | undefined): d is Duration => d !== undefined && !d.isUnresolved();

export function validateConditions(props: SprykerPipelineProps): { prop: string; message: string }[] {
  const problems: { prop: string; message: string }[] = [];
  const add = (prop: string, message: string) => problems.push({ prop, message });

  const sync = props.syncCatchUp;
  if (sync) {
    if (!props.broker) add('syncCatchUp', 'needs broker: the queues are read through the RabbitMQ management API of the broker the pipeline configures; set broker, or syncCatchUp: false');
    for (const key of ['queues', 'ignoreQueues'] as const) {
      const patterns = sync[key];
      if (key === 'queues' && patterns?.length === 0) add('syncCatchUp.queues', 'is empty: name the queues to wait for, or leave it out for Spryker\'s publish and sync queues');
      (patterns ?? []).forEach((p, i) => {
        if (isConcreteString(p) && !QueuePattern.safeParse(p).success) add(`syncCatchUp.${key}[${i}]`, `'${p}' is not a queue-name pattern: use letters, digits and . _ - : with * as a wildcard`);
      });
    }
    const length = JSON.stringify([...(sync.queues ?? []), ...(sync.ignoreQueues ?? [])]).length;
    if (length > 500) add('syncCatchUp.queues', `the patterns take ${length} characters; with the rest of the action's UserParameters (1000 at most) they may take 500: use wildcards`);
    if (concrete(sync.settle) && !(Number.isInteger(sync.settle.toSeconds({ integral: false })) && sync.settle.toSeconds() <= 600)) {
      add('syncCatchUp.settle', `is ${sync.settle.toHumanString()}: use whole seconds from 0 to 10 minutes`);
    }
    if (concrete(sync.timeout)) {
      const minutes = sync.timeout.toMinutes({ integral: false });
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 23 * 60) {
        add('syncCatchUp.timeout', `is ${sync.timeout.toHumanString()}: use whole minutes from 1 minute to 23 hours (CodePipeline gives an action 24 hours in all)`);
      }
    }
    if (sync.onTimeout && !sync.await) add('syncCatchUp.onTimeout', 'applies only with await: true; measuring alone never fails the rollout it runs beside');
  }

  const bake = props.bake;
  if (bake) {
    if (bake.alarms.length === 0 || bake.alarms.length > MAX_BAKE_ALARMS) {
      add('bake.alarms', `has ${bake.alarms.length} alarms: a stage condition takes 1 to ${MAX_BAKE_ALARMS} rules (one per alarm); combine more with a composite alarm`);
    }
    const names = bake.alarms.map((a) => (typeof a === 'string' ? a : a.alarmName)).filter(isConcreteString);
    names.forEach((name, i) => {
      if (name.trim() === '' || name.length > 255) add(`bake.alarms[${i}]`, `'${name}' is not an alarm name (1-255 characters)`);
      if (names.indexOf(name) !== i) add(`bake.alarms[${i}]`, `'${name}' is listed twice`);
    });
    if (concrete(bake.bakeTime)) {
      const minutes = bake.bakeTime.toMinutes({ integral: false });
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_BAKE_MINUTES) {
        add('bake.bakeTime', `is ${bake.bakeTime.toHumanString()}: use whole minutes from 1 minute to ${MAX_BAKE_MINUTES / 60} hours (CodePipeline's WaitTime is in minutes; the executions queued behind wait as long)`);
      }
    }
  }

  const window = props.deploymentWindow;
  if (window) {
    if (isConcreteString(window.cron)) for (const p of cronProblems(window.cron)) add('deploymentWindow.cron', p);
    const zone = window.timeZone;
    if (isConcreteString(zone)) {
      const problem = timeZoneProblem(zone);
      if (problem) add('deploymentWindow.timeZone', problem);
    }
  }
  return problems;
}

const isConcreteString = (s: string | undefined): s is string => s !== undefined && !Token.isUnresolved(s);
