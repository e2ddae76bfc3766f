/**
 * ECS deployment alarms on the fake (deploymentConfiguration.alarms: alarmNames, enable,
 * rollback): an alarm going into ALARM during a rollout fails the deployment as ECS does. ECS's
 * service events then read `(service S) (deployment D) deployment failed: alarm detected.` and,
 * with rollback, `(service S) rolling back to deployment R.` (the texts AWS Copilot's deployment
 * streamer matches in aws/copilot-cli); they do not name the alarm.
 */
import type { FakeClock, FakeEcs } from './aws';

let rollbacks = 0;

/** Configures the service's deployment alarms. */
export function useDeploymentAlarms(ecs: FakeEcs, service: string, alarmNames: string[], rollback = true): void {
  ecs.services.get(service)!.alarms = { alarmNames, rollback };
}

/** One of the service's deployment alarms goes into ALARM now: its rollout in progress fails (and rolls back). */
export function fireDeploymentAlarm(ecs: FakeEcs, clock: FakeClock, service: string): void {
  const s = ecs.services.get(service)!;
  if (!s.alarms) throw new Error(`${service} has no deployment alarms`);
  const rollout = s.deployments.find((d) => d.status === 'PRIMARY' && d.rolloutState === 'IN_PROGRESS');
  if (!rollout) throw new Error(`${service} has no rollout in progress`);
  rollout.rolloutState = 'FAILED';
  s.events.unshift({ message: `(service ${s.name}) (deployment ${rollout.id}) deployment failed: alarm detected.`, createdAt: clock.now });
  if (!s.alarms.rollback) return;
  const previous = s.deployments.find((d) => d !== rollout)!;
  rollout.status = 'ACTIVE';
  const back = { ...previous, id: `ecs-svc/90000000000000${rollbacks++}`, status: 'PRIMARY' as const, rolloutState: 'IN_PROGRESS' as const, createdAt: clock.now, runningCount: 0, script: 'succeed' as const, rollbackOf: true };
  s.deployments = [back, ...s.deployments.filter((d) => d !== previous)];
  s.taskDefinition = back.taskDefinition;
  s.events.unshift({ message: `(service ${s.name}) rolling back to deployment ${back.id}.`, createdAt: clock.now });
}
