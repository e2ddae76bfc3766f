import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { METRIC, METRICS_DIMENSION, METRICS_NAMESPACE } from './contracts/metrics';
import { TIMELINE_STATES } from './contracts/timeline';

export interface SprykerDashboardProps {
  readonly environment: string;
  /** The stages whose durations it graphs, in pipeline order. */
  readonly stages: readonly string[];
  /** @default `${environment}-deployments` */
  readonly dashboardName?: string;
  /** `together` adds the cutover's shift spread beside its readiness spread (what rolling would have mixed). @default 'rolling' */
  readonly cutover?: 'rolling' | 'together';
}

/**
 * One CloudWatch dashboard per environment from the report step's metrics (docs/states.md): each
 * run's risky windows, stage durations, outcomes and rollbacks, lead time, over the last 30 days.
 * `metric(name)` gives the same metric for a team's own alarms.
 */
export class SprykerDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  private readonly environment: string;

  constructor(scope: Construct, id: string, props: SprykerDashboardProps) {
    super(scope, id);
    this.environment = props.environment;
    const seconds = (name: string, label: string) => this.metric(name, { label, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.hours(1) });
    const perDay = (name: string, label: string) => this.metric(name, { label, statistic: cloudwatch.Stats.SUM, period: Duration.days(1) });
    const secondsGraph = (title: string, left: cloudwatch.IMetric[], width: number, height: number) =>
      new cloudwatch.GraphWidget({ title, left, width, height, leftYAxis: { min: 0, label: 'seconds', showUnits: false } });
    const windows = TIMELINE_STATES.map((state) => seconds(METRIC.window(state), state));
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${props.environment}-deployments`,
      start: '-P30D',
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `# ${props.environment} deployments\nEach run's risky windows (seconds), from the report step's metrics in namespace \`${METRICS_NAMESPACE}\`, dimension \`${METRICS_DIMENSION}=${props.environment}\`. Names and meaning: docs/states.md.`,
            width: 24,
            height: 2,
          }),
        ],
        [new cloudwatch.SingleValueWidget({ title: 'Last run: windows (s)', metrics: windows.map((m) => m.with({ period: Duration.days(30) })), width: 24, height: 4 })],
        [
          secondsGraph('Risky windows per run (s)', windows, 12, 8),
          secondsGraph('Stage durations per run (s)', props.stages.map((stage) => seconds(METRIC.stage(stage), stage)), 12, 8),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Runs per day',
            view: cloudwatch.GraphWidgetView.BAR,
            stacked: true,
            left: [perDay(METRIC.succeeded, 'succeeded'), perDay(METRIC.failed, 'failed'), perDay(METRIC.stopped, 'stopped'), perDay(METRIC.rollback, 'rollbacks')],
            width: 12,
            height: 6,
          }),
          secondsGraph('Lead time and run duration (s)', [seconds(METRIC.leadTime, 'lead time (commit to deployed)'), seconds(METRIC.duration, 'run duration')], 12, 6),
        ],
        ...(props.cutover === 'together'
          ? [
              [
                secondsGraph(
                  'Cutover: production shift spread beside readiness spread (s)',
                  [seconds(METRIC.cutoverShiftSpread, 'shift spread (V1 and V2 mixed)'), seconds(METRIC.cutoverArrivalSpread, 'readiness spread (rolling would have mixed at least this)')],
                  24,
                  6,
                ),
              ],
            ]
          : []),
      ],
    });
  }

  /** A report metric of this environment (METRIC in lib/contracts/metrics.ts), e.g. for an alarm on `Window_maintenance`. */
  public metric(metricName: string, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { [METRICS_DIMENSION]: this.environment }, ...options });
  }
}
