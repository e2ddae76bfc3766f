import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { Construct } from 'constructs';
import type { SprykerMaintenanceProps } from '../config/types';
import { SprykerMaintenance } from '../maintenance';
import type { SprykerPipeline } from '../spryker-pipeline';
import { SprykerCompanionPipeline } from './companion-pipeline';

export interface SprykerMaintenancePipelinesProps {
  /** The environment's normal pipeline. */
  readonly pipeline: SprykerPipeline;
  /**
   * For an environment whose pipeline has no `maintenance` props (one configuration per environment).
   * @default - the normal pipeline's `maintenance` props
   */
  readonly maintenance?: SprykerMaintenanceProps;
  /** @default `${environment}-maintenance-enable` */
  readonly enablePipelineName?: string;
  /** @default `${environment}-maintenance-disable` */
  readonly disablePipelineName?: string;
}

/**
 * SCCOS's Maintenance enable / disable pipelines: each turns the environment's maintenance mode
 * (503 page on the shop's load balancer, allow-listed IPs still served) on or off, by hand.
 */
export class SprykerMaintenancePipelines extends Construct {
  public readonly maintenance: SprykerMaintenance;
  public readonly enable: codepipeline.Pipeline;
  public readonly disable: codepipeline.Pipeline;

  constructor(scope: Construct, id: string, props: SprykerMaintenancePipelinesProps) {
    super(scope, id);
    const normal = props.pipeline;
    const env = normal.deployment.environment;
    if (props.maintenance && normal.maintenance) {
      throw new Error(`${this.node.path}: maintenance is set on the pipeline ${normal.node.path} already; an environment has one maintenance configuration: leave SprykerMaintenancePipelines.maintenance out`);
    }
    const maintenanceProps = props.maintenance ?? normal.props.maintenance;
    if (!maintenanceProps) {
      throw new Error(`${this.node.path}: no maintenance props: set maintenance on the pipeline ${normal.node.path} or on SprykerMaintenancePipelines (the ALB listener of the shop)`);
    }
    this.maintenance = SprykerMaintenance.of(normal.deployment, maintenanceProps);
    const pipeline = (pid: string, name: string, mode: 'enable' | 'disable') =>
      new SprykerCompanionPipeline(this, pid, normal, name, [
        { stageName: mode === 'enable' ? 'Enable_maintenance' : 'Disable_maintenance', actions: [this.maintenance.action(mode)] },
      ]).pipeline;
    this.enable = pipeline('Enable', props.enablePipelineName ?? `${env}-maintenance-enable`, 'enable');
    this.disable = pipeline('Disable', props.disablePipelineName ?? `${env}-maintenance-disable`, 'disable');
  }
}
