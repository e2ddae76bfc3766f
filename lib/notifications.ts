import { Stack } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import type * as events from 'aws-cdk-lib/aws-events';
import { addToDeadLetterQueueResourcePolicy } from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { SprykerNotificationEvent, SprykerNotificationProps } from './config/types';
import type { SprykerDeployment } from './deployment';

const CODESTAR_NOTIFICATIONS = new iam.ServicePrincipal('codestar-notifications.amazonaws.com');
const EVENTBRIDGE = new iam.ServicePrincipal('events.amazonaws.com');

const EVENTS: Record<SprykerNotificationEvent, codepipeline.PipelineNotificationEvents> = {
  'approval-needed': codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED,
  failed: codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
  succeeded: codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_SUCCEEDED,
};

/**
 * The notifications of one environment: one SNS topic that every pipeline of the environment
 * (normal, destructive, rollout, maintenance) reports to through a CodeStar Notifications rule.
 * Subscribe AWS Chatbot (Slack, Teams) or e-mail to `topic`. Get it with `SprykerNotifications.of`.
 */
export class SprykerNotifications extends Construct {
  public static of(deployment: SprykerDeployment, props: SprykerNotificationProps): SprykerNotifications {
    const existing = deployment.node.tryFindChild('Notifications');
    return existing instanceof SprykerNotifications ? existing : new SprykerNotifications(deployment, 'Notifications', deployment.environment, props);
  }

  public readonly topic: sns.ITopic;
  private readonly events: codepipeline.PipelineNotificationEvents[];
  /** The key of the topic this construct created (none for a topic from the props). */
  private key?: kms.Key;

  private constructor(scope: Construct, id: string, environment: string, props: SprykerNotificationProps) {
    super(scope, id);
    this.events = [...new Set(props.events ?? (Object.keys(EVENTS) as SprykerNotificationEvent[]))].map((e) => EVENTS[e]);
    this.topic = props.topic ?? this.createTopic(environment);
    // Publishing is granted once, to CodeStar Notifications acting for this account only (confused deputy).
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        principals: [CODESTAR_NOTIFICATIONS],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
  }

  /** Reports the pipeline's events to the topic. */
  public notify(pipeline: codepipeline.IPipeline, id = 'Notifications'): notifications.INotificationRule {
    // Not the topic itself as the target: its binding would add an unconditioned publish grant per rule.
    const target: notifications.INotificationRuleTarget = {
      bindAsNotificationRuleTarget: () => ({ targetType: 'SNS', targetAddress: this.topic.topicArn }),
    };
    return pipeline.notifyOn(id, target, {
      events: this.events,
      // Chatbot shows the execution, the stage and the failed action's message.
      detailType: notifications.DetailType.FULL,
    });
  }

  /**
   * Sends what an EventBridge rule matches to the topic, with `message` (e.g. each run's report
   * link, from the report rule): publishing granted to that rule only; undeliverable messages go
   * to `deadLetters`.
   */
  public publishFrom(rule: events.Rule, message: events.RuleTargetInput, deadLetters: sqs.IQueue): void {
    rule.addTarget({
      bind: () => {
        addToDeadLetterQueueResourcePolicy(rule, deadLetters);
        return { arn: this.topic.topicArn, input: message, deadLetterConfig: { arn: deadLetters.queueArn }, retryPolicy: { maximumRetryAttempts: 2 } };
      },
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], principals: [EVENTBRIDGE], resources: [this.topic.topicArn], conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } } }),
    );
    this.key?.addToResourcePolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey*', 'kms:Decrypt'], principals: [EVENTBRIDGE], resources: ['*'], conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
    );
  }

  /** Encrypted at rest with a key that CodeStar Notifications may use: the AWS managed SNS key admits no service. */
  private createTopic(environment: string): sns.Topic {
    const key = new kms.Key(this, 'Key', {
      description: `${environment}: encrypts the pipeline notification topic`,
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        principals: [CODESTAR_NOTIFICATIONS],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.key = key;
    return new sns.Topic(this, 'Topic', {
      displayName: `${environment} deployments`,
      masterKey: key,
      enforceSSL: true,
    });
  }
}
